/// A session's transcript read back into the SMTP dialogue: the client's commands in order, each paired with the
/// reply that answered it (replies come in order, RFC 5321 §4.3 and RFC 2920 §3.1), with every line's time.
final class Dialogue {
    /// One reply, possibly multi-line.
    struct Reply {
        var code: Int
        /// Entry indexes of its lines, first to last.
        var entries: [Int]
        var lines: [String]
        var firstTime: Double
        var lastTime: Double

        var isMultiline: Bool { entries.count > 1 }
    }

    /// Something the client sent that gets one reply.
    struct Command {
        enum Kind: Equatable {
            case command
            /// DATA content: `entry` is its `<N bytes of message content>` line, `endEntry` the final `.`.
            case content
            case blob
            case chunk
            case authResponse
            /// A line the host could not read as a command (only a note records it).
            case malformed
        }

        var kind: Kind
        var entry: Int
        var time: Double
        /// Upper-cased; empty for content, blobs and malformed lines.
        var verb: String
        var argument: String
        /// Octets of content, blob or chunk.
        var bytes = 0
        var endEntry: Int
        var endTime: Double
        var reply: Int?
        /// The note saying the host withheld its reply (or stopped reading), if it did.
        var withheldEntry: Int?
        /// For content: the note describing bare line ends and long lines, if any were seen.
        var shapeEntry: Int?
        /// The delay a greylisting rule asked for when it refused this command, and its note's entry.
        var askedDelay: (seconds: Double, entry: Int)?

        /// DATA's content or the BDAT LAST chunk: what LMTP answers once per recipient.
        var endsMessage: Bool {
            kind == .content || (kind == .chunk && argument.contains(" LAST "))
        }
    }

    let session: RecordedSession
    /// Each entry's time in seconds since 1970 (0 when unreadable).
    let times: [Double]
    private(set) var commands: [Command] = []
    private(set) var replies: [Reply] = []
    private(set) var greeting: Int?
    /// When the session ended; nil while open.
    let endTime: Double?
    /// The expectations the session recorded from its scenario, if it did.
    private(set) var expectations: VerdictExpectations?
    /// LMTP (the client greeted with LHLO): the end of a message gets one reply per accepted recipient
    /// (RFC 2033 §4.2); the replies after the first that are still to come belong to it too.
    private var speaksLMTP = false
    private var recipientRepliesOwed = 0

    init(_ session: RecordedSession) {
        self.session = session
        self.times = session.transcript.map { SessionTime.parse($0.time) ?? 0 }
        self.endTime = session.endedAt.flatMap(SessionTime.parse)
        read()
        readExtensions()
    }

    var isOpen: Bool { session.endReason == nil }

    func evidence(_ entry: Int) -> Verdict.Evidence {
        let line = session.transcript[entry]
        return Verdict.Evidence(session: session.id, entry: entry, time: line.time, text: line.text)
    }

    func reply(of command: Command) -> Reply? {
        command.reply.map { replies[$0] }
    }

    /// The extensions (upper-cased keywords with their parameters) the latest EHLO reply before `entry` listed.
    func extensions(before entry: Int) -> (reply: Reply, keywords: [String: String])? {
        guard let latest = advertised.last(where: { $0.command < entry }) else { return nil }
        return (replies[latest.reply], latest.keywords)
    }

    /// Each accepted EHLO's reply read once: (the EHLO's entry, its reply, the keywords it listed).
    private(set) var advertised: [(command: Int, reply: Int, keywords: [String: String])] = []

    private func readExtensions() {
        for ehlo in commands where ehlo.verb == "EHLO" || ehlo.verb == "LHLO" {
            guard let index = ehlo.reply, replies[index].code == 250 else { continue }
            var keywords: [String: String] = [:]
            for line in replies[index].lines.dropFirst() {
                let text = line.dropFirst(4)
                let keyword = text.prefix { $0 != " " && $0 != "=" }.asciiUppercased
                keywords[keyword] = String(text.dropFirst(keyword.count + (text.count > keyword.count ? 1 : 0)))
            }
            advertised.append((ehlo.entry, index, keywords))
        }
    }

    private func read() {
        let transcript = session.transcript
        // Behind a firewall persona the host's reading of the client's bytes is what its replies answer.
        let commandDirection = transcript.contains { $0.direction == "host-received" } ? "host-received" : "client"
        var pending: [Int] = []  // commands waiting for a reply, oldest first
        var openReply: Int?
        var awaitingGreeting = true
        for (index, line) in transcript.enumerated() {
            let time = times[index]
            switch line.direction {
            case "server":
                readServerLine(line.text, index, time, &pending, &openReply, &awaitingGreeting)
            case commandDirection:
                readClientLine(line.text, index, time, &pending)
            case "note":
                readNote(line.text, index, time, &pending, &awaitingGreeting)
            default:
                break
            }
        }
    }

    private func readServerLine(
        _ text: String, _ index: Int, _ time: Double, _ pending: inout [Int], _ openReply: inout Int?,
        _ awaitingGreeting: inout Bool
    ) {
        var code = 0
        var continues = false
        for (position, byte) in text.utf8.prefix(4).enumerated() {
            if position == 3 {
                continues = byte == UInt8(ascii: "-")
            } else if (0x30...0x39).contains(byte), code >= 0 {
                code = code * 10 + Int(byte - 0x30)
            } else {
                code = -1
            }
        }
        if code < 100 { code = 0 }
        if let open = openReply, replies[open].code == code {
            replies[open].entries.append(index)
            replies[open].lines.append(text)
            replies[open].lastTime = time
            if !continues { openReply = nil }
            return
        }
        // The greeting, or the answer to the oldest command waiting; else unsolicited (a 421 on idle).
        if awaitingGreeting {
            awaitingGreeting = false
            greeting = replies.count
        } else if recipientRepliesOwed > 0 {
            recipientRepliesOwed -= 1
        } else if !pending.isEmpty {
            let answered = pending.removeFirst()
            commands[answered].reply = replies.count
            if speaksLMTP, commands[answered].endsMessage {
                recipientRepliesOwed = acceptedRecipients(before: answered) - 1
            }
        }
        openReply = continues ? replies.count : nil
        replies.append(Reply(code: code, entries: [index], lines: [text], firstTime: time, lastTime: time))
    }

    /// The recipients accepted (`2xx`) in the transaction that `command` ends.
    private func acceptedRecipients(before command: Int) -> Int {
        var count = 0
        for earlier in commands[..<command].reversed() {
            if earlier.verb == "MAIL" { break }
            if earlier.verb == "RCPT", let reply = earlier.reply, (200...299).contains(replies[reply].code) {
                count += 1
            }
        }
        return count
    }

    private func readClientLine(_ text: String, _ index: Int, _ time: Double, _ pending: inout [Int]) {
        if text == ".", let content = commands.indices.last, commands[content].kind == .content,
            commands[content].endEntry == commands[content].entry
        {
            commands[content].endEntry = index
            commands[content].endTime = time
            pending.append(content)
            return
        }
        var command = Command(
            kind: .command, entry: index, time: time, verb: "", argument: "", endEntry: index, endTime: time)
        if text.startsASCII("<") {
            let words = text.dropFirst().split(separator: " ")
            command.bytes = words.first.flatMap { Int($0) } ?? 0
            if text.endsASCII("bytes of message content>") {
                command.kind = .content
                commands.append(command)
                return  // answered once its `.` arrives
            }
            command.kind = text.endsASCII("bytes of XEXCH50 blob>") ? .blob : .authResponse
        } else {
            let verb = text.prefix { $0 != " " }
            command.verb = verb.asciiUppercased
            command.argument = String(text.dropFirst(verb.count + 1))
            if command.verb == "LHLO" { speaksLMTP = true }
            if command.verb == "BDAT", text.endsASCII("bytes of chunk>") {
                command.kind = .chunk
                command.bytes = Int(command.argument.prefix { $0 != " " }) ?? 0
            }
        }
        pending.append(commands.count)
        commands.append(command)
    }

    private func readNote(
        _ text: String, _ index: Int, _ time: Double, _ pending: inout [Int], _ awaitingGreeting: inout Bool
    ) {
        if text.startsASCII("withheld:") || text.startsASCII("stalled:") || text.startsASCII("the handshake is never") {
            if let waiting = pending.first {
                commands[waiting].withheldEntry = index
                pending.removeFirst()
            } else if awaitingGreeting {
                awaitingGreeting = false
            }
        } else if text.startsASCII("malformed command line") {
            pending.append(commands.count)
            commands.append(
                Command(
                    kind: .malformed, entry: index, time: time, verb: "", argument: "", endEntry: index, endTime: time))
        } else if expectations == nil, text.startsASCII("expect: "), let stated = VerdictExpectations(note: text) {
            expectations = stated
        } else if let seconds = RetryDelayNote.seconds(in: text), let waiting = pending.first {
            commands[waiting].askedDelay = (seconds, index)
        } else if text.startsASCII("message content: "), let content = commands.lastIndex(where: { $0.kind == .content }) {
            commands[content].shapeEntry = index
        }
    }
}
