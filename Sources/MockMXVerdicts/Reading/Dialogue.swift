/// A session's transcript read back into the SMTP dialogue: the client's commands in order, each paired with the
/// reply that answered it (replies come in order, RFC 5321 §4.3 and RFC 2920 §3.1), with every line's time.
struct Dialogue {
    /// One reply, possibly multi-line.
    struct Reply {
        var code: Int
        /// Entry indexes of its lines, first to last.
        var entries: [Int]
        var lines: [String]
        var firstTime: Double
        var lastTime: Double
        /// The command it answers; nil for the greeting and unsolicited replies (a 421 on idle).
        var command: Int?

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

    init(_ session: RecordedSession) {
        self.session = session
        self.times = session.transcript.map { SessionTime.parse($0.time) ?? 0 }
        self.endTime = session.endedAt.flatMap(SessionTime.parse)
        read()
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
        guard let ehlo = commands.last(where: { $0.verb == "EHLO" && $0.entry < entry && $0.reply != nil }),
            let reply = reply(of: ehlo), reply.code == 250
        else { return nil }
        var keywords: [String: String] = [:]
        for line in reply.lines.dropFirst() {
            let text = line.dropFirst(4)
            let keyword = text.prefix { $0 != " " && $0 != "=" }.uppercased()
            keywords[keyword] = String(text.dropFirst(keyword.count + (text.count > keyword.count ? 1 : 0)))
        }
        return (reply, keywords)
    }

    private mutating func read() {
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

    private mutating func readServerLine(
        _ text: String, _ index: Int, _ time: Double, _ pending: inout [Int], _ openReply: inout Int?,
        _ awaitingGreeting: inout Bool
    ) {
        let bytes = Array(text.utf8.prefix(4))
        let code = bytes.count >= 3 && bytes.prefix(3).allSatisfy { (0x30...0x39).contains($0) }
            ? Int(String(decoding: bytes.prefix(3), as: UTF8.self)) ?? 0 : 0
        let continues = bytes.count == 4 && bytes[3] == UInt8(ascii: "-")
        if let open = openReply, replies[open].code == code {
            replies[open].entries.append(index)
            replies[open].lines.append(text)
            replies[open].lastTime = time
            if !continues { openReply = nil }
            return
        }
        var reply = Reply(code: code, entries: [index], lines: [text], firstTime: time, lastTime: time)
        if awaitingGreeting {
            awaitingGreeting = false
            greeting = replies.count
        } else if !pending.isEmpty {
            let command = pending.removeFirst()
            reply.command = command
            commands[command].reply = replies.count
        }
        openReply = continues ? replies.count : nil
        replies.append(reply)
    }

    private mutating func readClientLine(_ text: String, _ index: Int, _ time: Double, _ pending: inout [Int]) {
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
        if text.hasPrefix("<") {
            let words = text.dropFirst().split(separator: " ")
            command.bytes = words.first.flatMap { Int($0) } ?? 0
            if text.hasSuffix("bytes of message content>") {
                command.kind = .content
                commands.append(command)
                return  // answered once its `.` arrives
            }
            command.kind = text.hasSuffix("bytes of XEXCH50 blob>") ? .blob : .authResponse
        } else {
            let verb = text.prefix { $0 != " " }
            command.verb = verb.uppercased()
            command.argument = String(text.dropFirst(verb.count + 1))
            if command.verb == "BDAT", text.hasSuffix("bytes of chunk>") {
                command.kind = .chunk
                command.bytes = Int(command.argument.prefix { $0 != " " }) ?? 0
            }
        }
        pending.append(commands.count)
        commands.append(command)
    }

    private mutating func readNote(
        _ text: String, _ index: Int, _ time: Double, _ pending: inout [Int], _ awaitingGreeting: inout Bool
    ) {
        if text.hasPrefix("withheld:") || text.hasPrefix("stalled:") || text.hasPrefix("the handshake is never") {
            if let waiting = pending.first {
                commands[waiting].withheldEntry = index
                pending.removeFirst()
            } else if awaitingGreeting {
                awaitingGreeting = false
            }
        } else if text.hasPrefix("malformed command line") {
            pending.append(commands.count)
            commands.append(
                Command(
                    kind: .malformed, entry: index, time: time, verb: "", argument: "", endEntry: index, endTime: time))
        } else if expectations == nil, let stated = VerdictExpectations(note: text) {
            expectations = stated
        } else if text.hasPrefix(ContentShape.notePrefix), let content = commands.lastIndex(where: { $0.kind == .content }) {
            commands[content].shapeEntry = index
        }
    }
}
