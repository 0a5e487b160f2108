/// The server side of one SMTP session, as a pure state machine fed with bytes.
///
/// Two steps per event, so a scenario can override any reply: `nextStep()` parses the next event from
/// the buffered input and *proposes* the RFC-correct reply; the caller decides what really goes out and
/// tells `commit(sentCode:)`. State follows the reply actually sent: a RCPT answered `550` by a rule is
/// not a recipient, a DATA answered with anything but `354` does not start the message.
///
/// Input is only parsed up to the next event, so bytes after `DATA` become message content only once
/// the `354` was committed (RFC 2920 pipelining: nothing is lost or misread).
///
/// Each handler returns a `Proposal`: the step and the `Effect` its commit would have. `propose(_:)` keeps
/// the effect until `commit(sentCode:)` applies it as far as the code sent allows.
public struct SMTPSessionStateMachine: Sendable {
    public private(set) var configuration: SMTPServerConfiguration
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
        /// A relayed AUTH exchange (proxy mode) waits for the client's next response line. Boxed: its payload
        /// is the largest, and every phase copied on the message path would carry its size.
        indirect case relayingAuth(SMTPRelayedAuth)
        /// STARTTLS was accepted; the transport runs the handshake and calls `tlsEstablished()`.
        case awaitingTLS
        case closed
        /// Holds the place while a payload (the message, the blob) is out of the enum being appended to:
        /// left in, it would be a second reference and every append would copy the whole payload
        /// (copy-on-write). Never seen outside `nextProposal()`.
        case modifying
    }

    var input = InputBuffer()
    var phase = Phase.awaitingGreeting
    /// The effect of the proposed step that awaits `commit`; nil when none does.
    var pending: Effect?
    var heloName: [UInt8]?
    var transaction: Transaction?
    var inputBeforeGreeting = false
    var acceptedMessages = 0
    /// The identity established by AUTH in this session.
    public internal(set) var authenticatedUser: String?
    /// Whether the session runs over TLS.
    public private(set) var isTLSActive = false
    /// The bare line ends and long lines of the DATA content that ended last.
    public internal(set) var lastDataLineFacts = DataLineFacts()
    private(set) var enhancedCodes: Bool
    private(set) var pipeliningAdvertised: Bool

    /// Content sizes at which DATA reading pauses with a `.dataProgress` step (for `data.bytes` rules).
    public var dataProgressMarks: [Int] = []
    /// Proxy mode: AUTH, XEXCH50 and BDAT are judged by the upstream host (SMTPSessionStateMachine+Relay).
    public var proxied = false
    /// Proxy mode: the XEXCH50 blob or BDAT chunk that ended with the current step, to relay as it came.
    public internal(set) var relayedContent: [UInt8] = []

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

    /// In proxy mode the session follows the EHLO keywords another host advertised: the MAIL parameters
    /// and extensions accepted from now on are the ones the client was offered.
    public mutating func adoptExtensions(_ extensions: [String]) {
        configuration.extensions = extensions
        enhancedCodes = configuration.advertises("ENHANCEDSTATUSCODES")
        pipeliningAdvertised = configuration.advertises("PIPELINING")
    }

    public mutating func receive<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if case .awaitingGreeting = phase { inputBeforeGreeting = true }
        if case .closed = phase { return }
        input.append(contentsOf: bytes)
    }

    /// The greeting, proposed at connect.
    public mutating func connect() -> SMTPStep {
        precondition(pending == nil, "commit the previous step first")
        let greeting = configuration.greeting
        return propose(Proposal(.connect, greeting, effect: .greeting, closesConnection: greeting.code == 421))
    }

    /// The host's idle timeout fired.
    public mutating func idleTimeout() -> SMTPStep {
        phase = .closed
        return propose(
            .noEffect(
                .idle, reply(421, "4.4.2", "\(configuration.hostname) Error: timeout exceeded"),
                closesConnection: true))
    }

    /// Parses the next event from buffered input; nil when more input is needed, a step awaits
    /// commit, or the session is closed.
    public mutating func nextStep() -> SMTPStep? {
        guard pending == nil, let proposal = nextProposal() else { return nil }
        return propose(proposal)
    }

    /// The one place a proposal's effect is kept for `commit(sentCode:)`.
    private mutating func propose(_ proposal: consuming Proposal) -> SMTPStep {
        pending = proposal.effect
        return proposal.step
    }

    /// The next event's proposal, as the phase reads input; nil when more input is needed.
    mutating func nextProposal() -> Proposal? {
        switch phase {
        case .awaitingGreeting, .closed, .awaitingTLS:
            return nil
        case .modifying:
            preconditionFailure("the phase is being modified")
        case .refused, .commands:
            return nextCommand()
        case .authenticating(let exchange):
            return nextAuthResponse(exchange)
        case .relayingAuth(let exchange):
            return nextRelayedAuthResponse(exchange)
        case .chunk(let announced, let last, let arguments, let received):
            return nextChunk(announced: announced, last: last, arguments: arguments, received: received)
        case .discardingLongLine:
            guard let lineFeed = input.firstLineFeed(within: input.count) else {
                input.consume(input.count)
                return nil
            }
            input.consume(lineFeed + 1)
            phase = .commands
            return .noEffect(.malformedLine(.tooLong), reply(500, "5.5.2", "Error: line too long"))
        case .data(var receiver):
            phase = .modifying
            let outcome = receiver.consume(&input)
            phase = .data(receiver)
            switch outcome {
            case .needMoreInput:
                return nil
            case .reachedMark(let mark):
                return .noEffect(.dataProgress(bytes: mark), nil)
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
            return endOfBlob(XEXCH50Blob(bytes: received, recipientArgument: recipientArgument))
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

    // MARK: - Replies

    func reply(_ code: Int, _ enhanced: String, _ text: String) -> SMTPReply {
        SMTPReply(code, enhanced, text)
    }

    /// Renders a reply the way this host sends it.
    public func encode(_ reply: SMTPReply) -> [UInt8] {
        reply.encoded(enhancedStatusCodes: enhancedCodes)
    }
}
