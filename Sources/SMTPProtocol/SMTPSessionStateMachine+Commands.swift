/// Command lines: reading them, the checks every command goes through, and the session-level commands.
extension SMTPSessionStateMachine {
    /// The next line within the command-line limit, without its line end; nil while incomplete. A
    /// longer line is discarded as it arrives (switching to `.discardingLongLine`), never buffered.
    mutating func takeCommandLine() -> (bytes: [UInt8], endedWithCR: Bool)? {
        let limit = configuration.limits.commandLineLength
        guard let lineFeed = input.firstLineFeed(within: limit) else {
            if input.count >= limit {
                // `.discardingLongLine` drops it up to its LF: commands pipelined after it in the same read stay.
                phase = .discardingLongLine
            }
            return nil
        }
        let hasCR = lineFeed > 0 && input[lineFeed - 1] == 0x0D
        let line = Array(input.bytes(0..<(hasCR ? lineFeed - 1 : lineFeed)))
        input.consume(lineFeed + 1)
        return (line, hasCR)
    }

    var isDiscardingLongLine: Bool { if case .discardingLongLine = phase { true } else { false } }

    mutating func nextCommand() -> Proposal? {
        guard let (line, hasCR) = takeCommandLine() else { return isDiscardingLongLine ? nextProposal() : nil }

        if !hasCR, configuration.lineEndings == .strict {
            return .noEffect(.malformedLine(.bareLineFeed), reply(500, "5.5.2", "Error: bare <LF> received"))
        }

        let space = line.firstIndex(of: 0x20) ?? line.count
        let verbBytes = line[0..<space]
        let arguments = space < line.count ? Array(line[(space + 1)...]) : []
        let command = SMTPCommand(verb: verbBytes)
        let verb = command?.rawValue ?? String(decoding: verbBytes.map(ASCII.uppercased), as: UTF8.self)
        let recognized = command.map { $0.isEnabled(by: configuration) } ?? false
        let event = SMTPEvent.command(verb: verb, arguments: arguments, recognized: recognized)

        if synchronizationViolation(command) {
            phase = .closed
            return .noEffect(
                event, reply(554, "5.5.0", "Error: SMTP protocol synchronization"), closesConnection: true)
        }

        if case .refused = phase, command != .quit {
            return .noEffect(event, reply(503, "5.5.1", "Error: no SMTP service here"))
        }
        guard let command, recognized else {
            return .noEffect(event, reply(500, "5.5.2", "Error: command not recognized"))
        }
        if configuration.requireTLS, !isTLSActive, command.needsTLSWhenRequired {
            return .noEffect(event, reply(530, "5.7.0", "Must issue a STARTTLS command first"))
        }
        return proposal(for: command, arguments: arguments, event: event)
    }

    /// RFC 2920 §3.1 in strict mode: input before the greeting, after a command that must end a
    /// group, or any pipelining without the extension.
    private mutating func synchronizationViolation(_ command: SMTPCommand?) -> Bool {
        guard configuration.pipelining == .strict else { return false }
        if inputBeforeGreeting {
            inputBeforeGreeting = false
            return true
        }
        guard !input.isEmpty else { return false }
        return !pipeliningAdvertised || !(command?.mayBePipelinedMidGroup ?? false)
    }

    /// The recognized, permitted command's proposal; nil only while a BDAT chunk is still arriving.
    private mutating func proposal(for command: SMTPCommand, arguments: [UInt8], event: SMTPEvent) -> Proposal? {
        switch command {
        case .helo, .ehlo, .lhlo: hello(command, arguments: arguments, event: event)
        case .mail: mail(arguments: arguments, event: event)
        case .rcpt: rcpt(arguments: arguments, event: event)
        case .data: data(arguments: arguments, event: event)
        case .rset: rset(arguments: arguments, event: event)
        case .noop: .noEffect(event, reply(250, "2.0.0", "Ok"))
        case .quit: quit(event: event)
        case .vrfy: vrfy(arguments: arguments, event: event)
        case .expn: .noEffect(event, reply(502, "5.5.1", "Error: EXPN not available"))
        case .help:
            .noEffect(
                event,
                reply(214, "2.0.0", "Commands: \(configuration.isLMTP ? "LHLO" : "HELO EHLO") \(Self.helpCommands)"))
        case .xexch50: xexch50(arguments: arguments, event: event)
        case .starttls: startTLS(arguments: arguments, event: event)
        case .auth: auth(arguments: arguments, event: event)
        case .bdat: bdat(arguments: arguments, event: event)
        }
    }

    private static let helpCommands = "MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"

    private func hello(_ command: SMTPCommand, arguments: [UInt8], event: SMTPEvent) -> Proposal {
        if configuration.isLMTP, command != .lhlo {
            // RFC 2033 §4.1: an LMTP server answers HELO and EHLO with 500, so an SMTP client that reached it
            // by mistake does not go on to deliver.
            return .noEffect(event, reply(500, "5.5.1", "Error: this is LMTP, use LHLO"))
        }
        guard !arguments.isEmpty else {
            return .noEffect(event, reply(501, "5.5.4", "Syntax: \(command.rawValue) hostname"))
        }
        if command == .helo {
            return Proposal(event, SMTPReply(250, nil, configuration.hostname), effect: .hello(name: arguments))
        }
        // LHLO is EHLO under another name (RFC 2033 §4.1). RFC 3207 §4.2: STARTTLS is not offered again inside TLS.
        let offered = isTLSActive
            ? configuration.extensions.filter { !$0.uppercased().hasPrefix("STARTTLS") } : configuration.extensions
        return Proposal(
            event, SMTPReply(code: 250, lines: [configuration.hostname] + offered), effect: .hello(name: arguments))
    }

    /// The session closes with the proposal, whatever reply goes out.
    private mutating func quit(event: SMTPEvent) -> Proposal {
        phase = .closed
        return .noEffect(event, reply(221, "2.0.0", "Bye"), closesConnection: true)
    }

    private func vrfy(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard !arguments.isEmpty else { return .noEffect(event, reply(501, "5.5.4", "Syntax: VRFY address")) }
        return .noEffect(event, reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"))
    }

    private func startTLS(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard arguments.isEmpty else { return .noEffect(event, reply(501, "5.5.4", "Syntax: STARTTLS")) }
        guard !isTLSActive else { return .noEffect(event, reply(554, "5.5.1", "Error: TLS already active")) }
        return Proposal(event, reply(220, "2.0.0", "Ready to start TLS"), effect: .startTLS)
    }
}
