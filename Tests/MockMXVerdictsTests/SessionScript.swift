import MockMXVerdicts

/// Builds a recorded session line by line, each at a time in seconds after the session started.
struct SessionScript {
    static let epoch = 1_800_000_000.0

    var id: String
    var client = "192.0.2.7"
    var scenario = "default"
    var start = 0.0
    /// The listener the session reached (its address decides which MX host it was).
    var listener = "127.0.0.1:2525"
    private(set) var entries: [RecordedSession.Entry] = []

    init(_ id: String = "S00001", client: String = "192.0.2.7", scenario: String = "default", start: Double = 0) {
        self.id = id
        self.client = client
        self.scenario = scenario
        self.start = start
    }

    static func time(_ seconds: Double) -> String {
        SessionTime.format(secondsSince1970: epoch + seconds)
    }

    mutating func line(_ direction: String, _ at: Double, _ text: String, rule: String? = nil) {
        entries.append(.init(time: SessionScript.time(start + at), direction: direction, text: text, rule: rule))
    }

    mutating func server(_ at: Double, _ lines: String...) {
        for text in lines { line("server", at, text) }
    }

    mutating func client(_ at: Double, _ text: String) { line("client", at, text) }
    mutating func note(_ at: Double, _ text: String) { line("note", at, text) }

    /// Greeting at 0.01 and EHLO at 0.02 answered at 0.03 with `extensions`.
    mutating func greetAndEHLO(_ extensions: [String] = ["PIPELINING", "SIZE 10240000"]) {
        note(0, "connect from \(client) to 127.0.0.1:2525 (scenario \(scenario))")
        server(0.01, "220 mx.test ESMTP mockmx")
        client(0.02, "EHLO client.test")
        let lines = ["250-mx.test"] + extensions.dropLast().map { "250-" + $0 } + extensions.suffix(1).map { "250 " + $0 }
        for text in lines { server(0.03, text) }
    }

    /// MAIL, one RCPT, DATA and a 100-byte message answered step by step from `at`, each a millisecond apart.
    mutating func sendMessage(at: Double, from: String = "a@client.test", to: String = "b@mx.test", bytes: Int = 100) {
        client(at, "MAIL FROM:<\(from)>")
        server(at + 0.001, "250 2.1.0 Ok")
        client(at + 0.002, "RCPT TO:<\(to)>")
        server(at + 0.003, "250 2.1.5 Ok")
        client(at + 0.004, "DATA")
        server(at + 0.005, "354 End data with <CR><LF>.<CR><LF>")
        client(at + 0.006, "<\(bytes) bytes of message content>")
        client(at + 0.007, ".")
        server(at + 0.008, "250 2.0.0 Ok: queued as ABC")
    }

    mutating func quit(at: Double) {
        client(at, "QUIT")
        server(at + 0.001, "221 2.0.0 Bye")
    }

    func recorded(end: String? = "client-quit", at: Double? = nil) -> RecordedSession {
        let last = entries.last.flatMap { SessionTime.parse($0.time) } ?? SessionScript.epoch
        return RecordedSession(
            id: id, listener: listener, scenario: scenario, client: client,
            startedAt: SessionScript.time(start), endedAt: end == nil ? nil : at.map { SessionScript.time(start + $0) }
                ?? SessionTime.format(secondsSince1970: last + 0.001),
            endReason: end, transcript: entries)
    }
}

extension VerdictReport {
    func only(_ check: String) -> [Verdict] { verdicts.filter { $0.check == check } }
}
