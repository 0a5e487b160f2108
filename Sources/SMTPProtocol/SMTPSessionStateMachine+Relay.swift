/// Proxy mode (``SMTPSessionStateMachine/proxied``): another host judges AUTH, XEXCH50 and BDAT. The session
/// still reads their lines and counted bytes — so it knows what is a command and what is not — keeps the
/// bytes to relay in ``SMTPSessionStateMachine/relayedContent``, and follows whatever reply was sent.
struct SMTPRelayedAuth: Sendable {
    /// As the client named it: the upstream may offer mechanisms this host does not implement.
    var mechanism: String
    /// Read from the exchange where the mechanism carries it in the clear (PLAIN, LOGIN), for the envelope.
    var username: String?
    var responses = 0
}

extension SMTPSessionStateMachine {
    /// ``relayedContent``, moved out: the session keeps no reference once the bytes are on their way.
    public mutating func takeRelayedContent() -> [UInt8] {
        defer { relayedContent = [] }
        return relayedContent
    }

    /// `AUTH mechanism [initial-response]`: a `3xx` continues the exchange, a `2xx` ends it authenticated;
    /// the local checks do not apply (the upstream makes its own).
    func relayedAuth(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        let words = arguments.split(separator: 0x20)
        var exchange = SMTPRelayedAuth(mechanism: words.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? "")
        if words.count == 2 { exchange.learn(from: Array(words[1])) }
        return Proposal(event, SMTPReply(334, nil, ""), effect: .authRelayed(exchange))
    }

    /// The client's next line of a relayed exchange (`*` included: the upstream answers the cancel).
    mutating func nextRelayedAuthResponse(_ exchange: SMTPRelayedAuth) -> Proposal? {
        guard let (line, _) = takeCommandLine() else { return isDiscardingLongLine ? nextProposal() : nil }
        phase = .commands
        var exchange = exchange
        exchange.learn(from: line)
        return Proposal(.authResponse(line: line), SMTPReply(334, nil, ""), effect: .authRelayed(exchange))
    }

    /// `XEXCH50 <size> <recipients>` with two numbers: the upstream's `354` starts reading the blob whatever
    /// this host would have said.
    func relayedXEXCH50(arguments: [UInt8], event: SMTPEvent) -> Proposal? {
        let words = arguments.split(separator: 0x20)
        guard words.count == 2, let size = decimal(words[0]), let recipientArgument = decimal(words[1]),
            size <= configuration.limits.messageSize
        else { return nil }
        return Proposal(
            event, SMTPReply(354, nil, "Send binary data"),
            effect: .xexch50(announced: size, recipientArgument: recipientArgument))
    }

    /// Keeps a relayed BDAT chunk's bytes as they are read, up to the message size limit (a longer chunk is
    /// refused here, so never relayed: ``relayedContent`` is then shorter than the chunk).
    mutating func keepRelayedChunk(take: Int, startingChunk: Bool) {
        if startingChunk { relayedContent = [] }
        guard relayedContent.count + take <= configuration.limits.messageSize else { return }
        relayedContent.append(contentsOf: input.bytes(0..<take))
    }
}

extension SMTPRelayedAuth {
    /// PLAIN carries `authzid NUL authcid NUL passwd` (RFC 4616), LOGIN's first response is the user name.
    fileprivate mutating func learn(from response: [UInt8]) {
        defer { responses += 1 }
        guard username == nil, let decoded = Base64.decode(response) else { return }
        switch mechanism {
        case "PLAIN":
            let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
            if parts.count == 3 { username = String(decoding: parts[1], as: UTF8.self) }
        case "LOGIN" where responses == 0:
            username = String(decoding: decoded, as: UTF8.self)
        case "CRAM-MD5":
            if let space = decoded.lastIndex(of: 0x20) { username = String(decoding: decoded[..<space], as: UTF8.self) }
        default:
            break
        }
    }
}

extension SMTPSessionStateMachine {
    /// Proxy mode, after a MAIL, RCPT or RSET was proposed: the complete command lines already buffered behind
    /// it that a pipelining client may send before its group ends (MAIL, RCPT, RSET — RFC 2920 §3.1), then a
    /// DATA ending the group, each with its CRLF. Nothing is consumed: these are the lines the session will
    /// read next, which a proxy may send upstream in one write when the upstream offers PIPELINING.
    public func pipelinedLines() -> [[UInt8]] {
        guard case .commands = phase else { return [] }
        var lines: [[UInt8]] = []
        var start = 0
        let limit = configuration.limits.commandLineLength
        while start < input.count {
            var end = start
            while end < input.count, end - start < limit, input[end] != 0x0A { end += 1 }
            // A line the session would refuse (too long, bare LF) stops the group: it is not relayed as is.
            guard end < input.count, input[end] == 0x0A, end > start, input[end - 1] == 0x0D else { break }
            let line = Array(input.bytes(start..<(end + 1)))
            let verbEnd = line.firstIndex(of: 0x20) ?? line.count - 2
            switch SMTPCommand(verb: line[0..<verbEnd]) {
            case .mail?, .rcpt?, .rset?:
                lines.append(line)
                start = end + 1
            case .data? where verbEnd == line.count - 2:
                lines.append(line)
                return lines
            default:
                return lines
            }
        }
        return lines
    }
}
