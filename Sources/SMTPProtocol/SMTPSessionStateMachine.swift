/// The server side of one SMTP session, as a pure state machine fed with bytes.
///
/// Two steps per event, so a scenario can override any reply: `nextStep()` parses the next event from
/// the buffered input and *proposes* the RFC-correct reply; the caller decides what really goes out and
/// tells `commit(sentCode:)`. State follows the reply actually sent: a RCPT answered `550` by a rule is
/// not a recipient, a DATA answered with anything but `354` does not start the message.
///
/// Input is only parsed up to the next event, so bytes after `DATA` become message content only once
/// the `354` was committed (RFC 2920 pipelining: nothing is lost or misread).
public struct SMTPSessionStateMachine: Sendable {
    public let configuration: SMTPServerConfiguration
    public let sessionID: String

    enum Phase: Sendable {
        case awaitingGreeting
        /// After a 5xx greeting: only QUIT is served (RFC 5321 §3.1).
        case refused
        case commands
        /// An over-long command line is being skipped up to its LF.
        case discardingLongLine
        case data(SMTPDataReceiver)
        case blob(announced: Int, recipientArgument: Int, received: [UInt8])
        /// A BDAT chunk is being read: exactly `announced` octets, whatever state the transaction is in.
        case chunk(announced: Int, last: Bool, arguments: [UInt8], received: Int)
        /// An AUTH exchange waits for the client's next response line.
        case authenticating(SMTPAuthExchange)
        /// STARTTLS was accepted; the transport runs the handshake and calls `tlsEstablished()`.
        case awaitingTLS
        case closed
        /// Holds the place while a payload (the message, the blob) is out of the enum being appended to:
        /// left in, it would be a second reference and every append would copy the whole payload
        /// (copy-on-write). Never seen outside `nextStep()`.
        case modifying
    }

    struct Transaction: Sendable {
        var mailFrom: [UInt8]
        var parameters: [SMTPParameter]
        var recipients: [[UInt8]] = []
        var recipientParameters: [[SMTPParameter]] = []
        var rejectedRecipients = 0
        var xexch50: XEXCH50Blob?
        /// BDAT content so far; nil until the first chunk (DATA is refused once BDAT started).
        var chunked: [UInt8]?
        var chunkedBytes = 0

        func hasParameter(_ key: String, value: String? = nil) -> Bool {
            parameters.contains { $0.key == key && (value == nil || $0.value?.uppercased() == value) }
        }
    }

    /// What was proposed and awaits `commit`, with what a successful reply would change.
    enum Pending: Sendable {
        case greeting
        case hello(name: [UInt8])
        case mail(Transaction)
        case recipient([UInt8], [SMTPParameter])
        case data
        case dataEnd
        case xexch50(announced: Int, recipientArgument: Int)
        case xexch50Blob(XEXCH50Blob)
        case reset
        case startTLS
        /// A `334` challenge: a positive commit continues the exchange.
        case authChallenge(SMTPAuthExchange)
        /// The exchange's verdict: a positive commit authenticates `user`.
        case authVerdict(user: String?)
        case chunk(last: Bool)
        case other
    }

    var input = InputBuffer()
    var phase = Phase.awaitingGreeting
    var pending: Pending?
    var heloName: [UInt8]?
    var transaction: Transaction?
    private var inputBeforeGreeting = false
    var acceptedMessages = 0
    /// The identity established by AUTH in this session.
    public private(set) var authenticatedUser: String?
    /// Whether the session runs over TLS.
    public private(set) var isTLSActive = false
    let enhancedCodes: Bool
    private let pipeliningAdvertised: Bool

    /// Content sizes at which DATA reading pauses with a `.dataProgress` step (for `data.bytes` rules).
    public var dataProgressMarks: [Int] = []

    public init(configuration: SMTPServerConfiguration, sessionID: String) {
        self.configuration = configuration
        self.sessionID = sessionID
        self.enhancedCodes = configuration.advertises("ENHANCEDSTATUSCODES")
        self.pipeliningAdvertised = configuration.advertises("PIPELINING")
    }

    /// Bytes received and not yet consumed by an event.
    public var bufferedByteCount: Int { input.count }
    /// Whether the session ended (QUIT answered, greeting 421, synchronization error, …).
    public var isClosed: Bool { if case .closed = phase { true } else { false } }
    /// Whether the session is inside DATA or the XEXCH50 blob, where input is content, not commands.
    public var isReceivingContent: Bool {
        switch phase {
        case .data, .blob, .chunk: true
        default: false
        }
    }
    /// Whether the greeting step has been proposed (an implicit-TLS session greets after the handshake).
    public var hasGreeted: Bool { if case .awaitingGreeting = phase { pending != nil } else { true } }
    /// STARTTLS was accepted: the transport must run the TLS handshake before anything else.
    public var isAwaitingTLS: Bool { if case .awaitingTLS = phase { true } else { false } }
    /// The name given in HELO/EHLO, as sent.
    public var helo: [UInt8]? { heloName }
    /// 1-based number of the transaction in progress (or the next one).
    public var messageNumber: Int { acceptedMessages + 1 }
    /// Content octets received so far in the current DATA.
    public var dataBytesReceived: Int { if case .data(let receiver) = phase { receiver.receivedBytes } else { 0 } }

    /// Whether replies carry enhanced status codes (ENHANCEDSTATUSCODES advertised).
    public var usesEnhancedStatusCodes: Bool { enhancedCodes }

    public mutating func receive<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if case .awaitingGreeting = phase { inputBeforeGreeting = true }
        if case .closed = phase { return }
        input.append(contentsOf: bytes)
    }

    /// The greeting, proposed at connect.
    public mutating func connect() -> SMTPStep {
        precondition(pending == nil, "commit the previous step first")
        pending = .greeting
        let greeting = configuration.greeting
        return SMTPStep(event: .connect, reply: greeting, closesConnection: greeting.code == 421)
    }

    /// The host's idle timeout fired.
    public mutating func idleTimeout() -> SMTPStep {
        pending = .other
        phase = .closed
        return SMTPStep(
            event: .idle, reply: reply(421, "4.4.2", "\(configuration.hostname) Error: timeout exceeded"),
            closesConnection: true)
    }

    /// Parses the next event from buffered input; nil when more input is needed, a step awaits
    /// commit, or the session is closed.
    public mutating func nextStep() -> SMTPStep? {
        guard pending == nil else { return nil }
        switch phase {
        case .awaitingGreeting, .closed, .awaitingTLS:
            return nil
        case .modifying:
            preconditionFailure("the phase is being modified")
        case .refused, .commands:
            return nextCommand()
        case .authenticating(let exchange):
            return nextAuthResponse(exchange)
        case .chunk(let announced, let last, let arguments, let received):
            return nextChunk(announced: announced, last: last, arguments: arguments, received: received)
        case .discardingLongLine:
            guard let lineFeed = input.firstLineFeed(within: input.count) else {
                input.consume(input.count)
                return nil
            }
            input.consume(lineFeed + 1)
            phase = .commands
            pending = .other
            return SMTPStep(event: .malformedLine(.tooLong), reply: reply(500, "5.5.2", "Error: line too long"))
        case .data(var receiver):
            phase = .modifying
            let outcome = receiver.consume(&input)
            phase = .data(receiver)
            switch outcome {
            case .needMoreInput:
                return nil
            case .reachedMark(let mark):
                pending = .other
                return SMTPStep(event: .dataProgress(bytes: mark), reply: nil)
            case .ended:
                return endOfData(receiver)
            }
        case .blob(let announced, let recipientArgument, var received):
            phase = .modifying
            let take = min(announced - received.count, input.count)
            received.append(contentsOf: input.bytes(0..<take))
            input.consume(take)
            guard received.count == announced else {
                phase = .blob(announced: announced, recipientArgument: recipientArgument, received: received)
                return nil
            }
            phase = .commands
            let blob = XEXCH50Blob(bytes: received, recipientArgument: recipientArgument)
            pending = .xexch50Blob(blob)
            return SMTPStep(event: .xexch50Blob(bytes: announced), reply: reply(250, "2.0.0", "XEXCH50 OK"))
        }
    }

    /// Records the reply that actually went out for the last step: its code, or nil when nothing
    /// was sent (withheld) — then nothing the proposal would have changed takes effect.
    public mutating func commit(sentCode: Int?) {
        guard let pending else { preconditionFailure("commit without a step") }
        self.pending = nil
        let positive = sentCode.map { (200...399).contains($0) } ?? false
        switch pending {
        case .greeting:
            guard case .awaitingGreeting = phase else { return }
            switch sentCode {
            case .some(200...299): phase = .commands
            case .some(500...599): phase = .refused
            case .some: phase = .closed
            case nil: phase = .commands
            }
        case .hello(let name):
            if positive {
                heloName = name
                transaction = nil
            }
        case .mail(let proposed):
            if positive { transaction = proposed }
        case .recipient(let path, let parameters):
            if positive {
                transaction?.recipients.append(path)
                transaction?.recipientParameters.append(parameters)
            } else {
                transaction?.rejectedRecipients += 1
            }
        case .data:
            if sentCode.map({ (300...399).contains($0) }) ?? false {
                phase = .data(
                    SMTPDataReceiver(
                        mode: configuration.lineEndings, sizeLimit: configuration.limits.messageSize,
                        marks: dataProgressMarks))
            }
        case .dataEnd:
            // The transaction ends with the end of data whatever the reply (RFC 5321 §4.1.1.4).
            if positive { acceptedMessages += 1 }
            transaction = nil
        case .xexch50(let announced, let recipientArgument):
            if sentCode.map({ (300...399).contains($0) }) ?? false {
                phase = .blob(announced: announced, recipientArgument: recipientArgument, received: [])
            }
        case .xexch50Blob(let blob):
            if positive { transaction?.xexch50 = blob }
        case .reset:
            if positive { transaction = nil }
        case .startTLS:
            if positive {
                phase = .awaitingTLS
                // Plaintext pipelined after STARTTLS must not reach the TLS session (CVE-2011-0411).
                input.removeAll()
            }
        case .authChallenge(let exchange):
            if sentCode.map({ (300...399).contains($0) }) ?? false { phase = .authenticating(exchange) }
        case .authVerdict(let user):
            if positive { authenticatedUser = user }
        case .chunk(let last):
            // A refused chunk aborts the transaction (RFC 3030 §4.2); LAST ends it either way.
            if positive, last { acceptedMessages += 1 }
            if !positive || last { transaction = nil }
        case .other:
            break
        }
    }

    /// The TLS handshake after STARTTLS succeeded: the session starts over (RFC 3207 §4.2).
    public mutating func tlsEstablished() {
        isTLSActive = true
        heloName = nil
        transaction = nil
        authenticatedUser = nil
        if case .awaitingTLS = phase { phase = .commands }
    }

    /// The connection is TLS from its first byte (an implicit-TLS listener).
    public mutating func startedWithTLS() {
        isTLSActive = true
    }

    /// Ends the session: no further steps (the connection is closing).
    public mutating func close() {
        phase = .closed
        pending = nil
        input.removeAll()
    }

    // MARK: - Commands

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

    private mutating func nextCommand() -> SMTPStep? {
        guard let (line, hasCR) = takeCommandLine() else { return isDiscardingLongLine ? nextStep() : nil }

        if !hasCR, configuration.lineEndings == .strict {
            pending = .other
            return SMTPStep(event: .malformedLine(.bareLineFeed), reply: reply(500, "5.5.2", "Error: bare <LF> received"))
        }

        let space = line.firstIndex(of: 0x20) ?? line.count
        let verbBytes = line[0..<space]
        let arguments = space < line.count ? Array(line[(space + 1)...]) : []
        let verb = String(decoding: verbBytes.map(asciiUpper), as: UTF8.self)
        let command = Command(rawValue: verb)
        let recognized = command.map { $0.isEnabled(by: configuration) } ?? false
        let event = SMTPEvent.command(verb: verb, arguments: arguments, recognized: recognized)

        if synchronizationViolation(command) {
            pending = .other
            phase = .closed
            return SMTPStep(
                event: event, reply: reply(554, "5.5.0", "Error: SMTP protocol synchronization"),
                closesConnection: true)
        }

        if case .refused = phase, command != .quit {
            pending = .other
            return SMTPStep(event: event, reply: reply(503, "5.5.1", "Error: no SMTP service here"))
        }
        guard let command, recognized else {
            pending = .other
            return SMTPStep(event: event, reply: reply(500, "5.5.2", "Error: command not recognized"))
        }
        if configuration.requireTLS, !isTLSActive, command.needsTLSWhenRequired {
            pending = .other
            return SMTPStep(event: event, reply: reply(530, "5.7.0", "Must issue a STARTTLS command first"))
        }
        return handle(command, arguments: arguments, event: event)
    }

    /// RFC 2920 §3.1 in strict mode: input before the greeting, after a command that must end a
    /// group, or any pipelining without the extension.
    private mutating func synchronizationViolation(_ command: Command?) -> Bool {
        guard configuration.pipelining == .strict else { return false }
        if inputBeforeGreeting {
            inputBeforeGreeting = false
            return true
        }
        guard !input.isEmpty else { return false }
        return !pipeliningAdvertised || !(command?.mayBePipelinedMidGroup ?? false)
    }

    private mutating func handle(_ command: Command, arguments: [UInt8], event: SMTPEvent) -> SMTPStep? {
        pending = .other
        func step(_ reply: SMTPReply, closes: Bool = false) -> SMTPStep {
            SMTPStep(event: event, reply: reply, closesConnection: closes)
        }
        switch command {
        case .helo, .ehlo:
            guard !arguments.isEmpty else {
                return step(reply(501, "5.5.4", "Syntax: \(command.rawValue) hostname"))
            }
            pending = .hello(name: arguments)
            if command == .helo { return step(SMTPReply(250, nil, configuration.hostname)) }
            // RFC 3207 §4.2: STARTTLS is not offered again inside TLS.
            let offered = isTLSActive
                ? configuration.extensions.filter { !$0.uppercased().hasPrefix("STARTTLS") } : configuration.extensions
            return step(SMTPReply(code: 250, lines: [configuration.hostname] + offered))
        case .mail:
            guard heloName != nil else { return step(reply(503, "5.5.1", "Error: send HELO/EHLO first")) }
            guard transaction == nil else { return step(reply(503, "5.5.1", "Error: nested MAIL command")) }
            let parsed: SMTPPathArguments
            do {
                parsed = try SMTPPathArguments.parse(arguments, prefix: "FROM:")
            } catch .badAddress {
                return step(reply(501, "5.1.7", "Bad sender address syntax"))
            } catch .badParameter {
                return step(reply(501, "5.5.4", "Bad MAIL parameter syntax"))
            } catch {
                return step(reply(501, "5.5.4", "Syntax: MAIL FROM:<address>"))
            }
            if let refusal = checkMailParameters(parsed.parameters) { return step(refusal) }
            let proposed = Transaction(mailFrom: parsed.path, parameters: parsed.parameters)
            if parsed.path.contains(where: { $0 >= 0x80 }), !proposed.hasParameter("SMTPUTF8") {
                return step(reply(553, "5.6.7", "Error: a non-ASCII address needs SMTPUTF8"))
            }
            pending = .mail(proposed)
            return step(reply(250, "2.1.0", "Ok"))
        case .rcpt:
            guard let transaction else { return step(reply(503, "5.5.1", "Error: need MAIL command")) }
            let parsed: SMTPPathArguments
            do {
                parsed = try SMTPPathArguments.parse(arguments, prefix: "TO:")
            } catch .badParameter {
                return step(reply(501, "5.5.4", "Bad RCPT parameter syntax"))
            } catch .badAddress {
                return step(reply(501, "5.1.3", "Bad recipient address syntax"))
            } catch {
                return step(reply(501, "5.5.4", "Syntax: RCPT TO:<address>"))
            }
            guard !parsed.path.isEmpty else { return step(reply(501, "5.1.3", "Bad recipient address syntax")) }
            if let refusal = checkRecipientParameters(parsed.parameters) { return step(refusal) }
            if parsed.path.contains(where: { $0 >= 0x80 }), !transaction.hasParameter("SMTPUTF8") {
                return step(reply(553, "5.6.7", "Error: a non-ASCII address needs SMTPUTF8"))
            }
            guard transaction.recipients.count < configuration.limits.recipients else {
                return step(reply(452, "4.5.3", "Error: too many recipients"))
            }
            pending = .recipient(parsed.path, parsed.parameters)
            return step(reply(250, "2.1.5", "Ok"))
        case .data:
            guard arguments.isEmpty else { return step(reply(501, "5.5.4", "Syntax: DATA")) }
            guard let transaction else { return step(reply(503, "5.5.1", "Error: need MAIL command")) }
            guard !transaction.recipients.isEmpty else {
                if transaction.rejectedRecipients > 0 {
                    return step(reply(554, "5.5.1", "Error: no valid recipients"))
                }
                return step(reply(503, "5.5.1", "Error: need RCPT command"))
            }
            guard transaction.chunked == nil else { return step(reply(503, "5.5.1", "Error: BDAT in progress")) }
            guard !transaction.hasParameter("BODY", value: "BINARYMIME") else {
                return step(reply(503, "5.5.1", "Error: BINARYMIME requires BDAT"))
            }
            pending = .data
            return step(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"))
        case .rset:
            guard arguments.isEmpty else { return step(reply(501, "5.5.4", "Syntax: RSET")) }
            pending = .reset
            return step(reply(250, "2.0.0", "Ok"))
        case .noop:
            return step(reply(250, "2.0.0", "Ok"))
        case .quit:
            phase = .closed
            return step(reply(221, "2.0.0", "Bye"), closes: true)
        case .vrfy:
            guard !arguments.isEmpty else { return step(reply(501, "5.5.4", "Syntax: VRFY address")) }
            return step(reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"))
        case .expn:
            return step(reply(502, "5.5.1", "Error: EXPN not available"))
        case .help:
            return step(
                reply(214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"))
        case .xexch50:
            return xexch50(arguments: arguments, step: step)
        case .starttls:
            guard arguments.isEmpty else { return step(reply(501, "5.5.4", "Syntax: STARTTLS")) }
            guard !isTLSActive else { return step(reply(554, "5.5.1", "Error: TLS already active")) }
            pending = .startTLS
            return step(reply(220, "2.0.0", "Ready to start TLS"))
        case .auth:
            return auth(arguments: arguments, event: event)
        case .bdat:
            return bdat(arguments: arguments, event: event)
        }
    }

    /// XEXCH50 as Exchange answers it (see notes/smtp-wire-facts.md).
    private mutating func xexch50(arguments: [UInt8], step: (SMTPReply, Bool) -> SMTPStep) -> SMTPStep {
        guard heloName != nil, let transaction else {
            return step(reply(503, "5.5.2", "Need mail command"), false)
        }
        guard !transaction.recipients.isEmpty else { return step(reply(503, "5.5.2", "Need rcpt command"), false) }
        let words = arguments.split(separator: 0x20)
        guard words.count == 2, let size = decimal(words[0]), let recipientArgument = decimal(words[1]),
            size > 4, size <= 64 << 20
        else {
            return step(reply(501, "5.5.4", "XEXCH50 Invalid command format"), false)
        }
        guard transaction.xexch50 == nil else {
            return step(reply(503, "5.5.2", "XEXCH50 already received for this message"), false)
        }
        pending = .xexch50(announced: size, recipientArgument: recipientArgument)
        return step(SMTPReply(354, nil, "Send binary data"), false)
    }

    private func checkMailParameters(_ parameters: [SMTPParameter]) -> SMTPReply? {
        for parameter in parameters {
            switch parameter.key {
            case "SIZE" where configuration.advertises("SIZE"):
                guard let value = parameter.value, let size = decimal(value.utf8) else {
                    return reply(501, "5.5.4", "Bad SIZE parameter")
                }
                if size > configuration.limits.messageSize {
                    return reply(552, "5.3.4", "Message size exceeds fixed limit")
                }
            case "BODY":
                switch parameter.value?.uppercased() {
                case "7BIT": continue
                case "8BITMIME" where configuration.advertises("8BITMIME"): continue
                case "BINARYMIME" where configuration.advertises("BINARYMIME"): continue
                default: return reply(501, "5.5.4", "Unsupported BODY parameter")
                }
            case "RET" where configuration.advertises("DSN"):
                guard ["FULL", "HDRS"].contains(parameter.value?.uppercased() ?? "") else {
                    return reply(501, "5.5.4", "Bad RET parameter")
                }
            case "SMTPUTF8" where configuration.advertises("SMTPUTF8") && parameter.value == nil,
                "ENVID" where configuration.advertises("DSN") && parameter.value != nil,
                "AUTH" where configuration.advertises("AUTH") && parameter.value != nil:
                continue
            default:
                return reply(555, "5.5.4", "Unsupported option: \(parameter.key)")
            }
        }
        return nil
    }

    private func checkRecipientParameters(_ parameters: [SMTPParameter]) -> SMTPReply? {
        for parameter in parameters {
            switch parameter.key {
            case "NOTIFY" where configuration.advertises("DSN"):
                let values = (parameter.value ?? "").uppercased().split(separator: ",", omittingEmptySubsequences: false)
                let valid = values == ["NEVER"]
                    || (!values.isEmpty && values.allSatisfy { ["SUCCESS", "FAILURE", "DELAY"].contains($0) })
                guard valid else { return reply(501, "5.5.4", "Bad NOTIFY parameter") }
            case "ORCPT" where configuration.advertises("DSN"):
                guard parameter.value?.contains(";") ?? false else { return reply(501, "5.5.4", "Bad ORCPT parameter") }
            default:
                return reply(555, "5.5.4", "Unsupported option: \(parameter.key)")
            }
        }
        return nil
    }

    // MARK: - End of data

    /// The message of the transaction in progress, with `content`.
    func message(content: [UInt8]) -> ReceivedMessage {
        guard let transaction else { preconditionFailure("a message without a transaction") }
        let id = "\(sessionID).\(acceptedMessages + 1)"
        return ReceivedMessage(
            id: id,
            heloName: heloName.map { String(decoding: $0, as: UTF8.self) },
            mailFrom: String(decoding: transaction.mailFrom, as: UTF8.self),
            mailParameters: transaction.parameters,
            recipients: transaction.recipients.map { String(decoding: $0, as: UTF8.self) },
            recipientParameters: transaction.recipientParameters,
            authenticatedUser: authenticatedUser,
            receivedOverTLS: isTLSActive,
            content: content,
            xexch50: transaction.xexch50)
    }

    private mutating func endOfData(_ receiver: SMTPDataReceiver) -> SMTPStep {
        phase = .commands
        pending = .dataEnd
        let event = SMTPEvent.dataEnd(bytes: receiver.receivedBytes)
        if receiver.isOversize {
            return SMTPStep(event: event, reply: reply(552, "5.3.4", "Error: message file too big"))
        }
        if receiver.sawBareLineFeed {
            return SMTPStep(
                event: event, reply: reply(550, "5.5.2", "\(configuration.hostname) Error: bare <LF> received"))
        }
        let message = message(content: receiver.content)
        return SMTPStep(event: event, reply: reply(250, "2.0.0", "Ok: queued as \(message.id)"), message: message)
    }

    // MARK: - Helpers

    func reply(_ code: Int, _ enhanced: String, _ text: String) -> SMTPReply {
        SMTPReply(code, enhanced, text)
    }

    /// Renders a reply the way this host sends it.
    public func encode(_ reply: SMTPReply) -> [UInt8] {
        reply.encoded(enhancedStatusCodes: enhancedCodes)
    }
}

/// Commands this host implements.
private enum Command: String {
    case helo = "HELO", ehlo = "EHLO", mail = "MAIL", rcpt = "RCPT", data = "DATA", rset = "RSET"
    case noop = "NOOP", quit = "QUIT", vrfy = "VRFY", expn = "EXPN", help = "HELP"
    case xexch50 = "XEXCH50", starttls = "STARTTLS", auth = "AUTH", bdat = "BDAT"

    /// Commands tied to an extension exist only while it is advertised; to anyone else they are unknown.
    func isEnabled(by configuration: SMTPServerConfiguration) -> Bool {
        switch self {
        case .xexch50: configuration.advertises("XEXCH50")
        case .starttls: configuration.advertises("STARTTLS")
        case .auth: configuration.advertises("AUTH")
        case .bdat: configuration.advertises("CHUNKING")
        default: true
        }
    }

    /// What a host that requires TLS refuses before STARTTLS.
    var needsTLSWhenRequired: Bool {
        switch self {
        case .mail, .rcpt, .data, .bdat, .xexch50, .auth, .vrfy, .expn: true
        default: false
        }
    }

    /// RFC 2920 §3.1: RSET, MAIL and RCPT (and BDAT, RFC 3030) may appear anywhere in a pipelined group.
    var mayBePipelinedMidGroup: Bool {
        switch self {
        case .rset, .mail, .rcpt, .bdat: true
        default: false
        }
    }
}

@inline(__always)
private func asciiUpper(_ byte: UInt8) -> UInt8 {
    byte >= 0x61 && byte <= 0x7A ? byte & ~0x20 : byte
}

func decimal<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
    }
    return value
}
