import SMTPProtocol

/// What the transport knows about the event being decided, handed to ``ScenarioEngine/match(_:)``.
public struct RuleEventContext: Sendable {
    /// Lower-case event name as in `on:`: `rcpt`, `data.end`, `x-link2state` for an unrecognized verb.
    public var event: String
    /// The verb was not recognized by the protocol, so rules on `unknown` match too.
    public var isUnknownCommand: Bool
    /// The command's arguments as sent, without the verb and the separating space. For `bdat.chunk`,
    /// `bdat.last` and `xexch50.blob`, the arguments of the BDAT/XEXCH50 command they belong to;
    /// empty for events that have no command.
    public var arguments: [UInt8]
    /// The HELO/EHLO name given so far in this session, if any.
    public var helo: [UInt8]?
    /// 1-based connection count on this listener, from ``ScenarioEngine/beginSession()``.
    public var sessionNumber: Int
    /// 1-based: how many times this event has occurred in this session, this one included (`nth:`).
    public var occurrence: Int
    /// 1-based number of the message (transaction) being handled in this session (`message:`).
    public var messageNumber: Int
    /// 1-based: how many times this event has occurred in the current message, this one included
    /// (`nth-in-message:`). Every event's count starts afresh where a transaction begins or ends: before
    /// MAIL, RSET, HELO and EHLO are counted (so each is 1; RFC 5321 §4.1.4: RSET and HELO/EHLO abort
    /// the transaction) and after `data.end` or `bdat.last`. Outside a transaction (NOOP after the end of
    /// data) events count from the last of these.
    public var messageOccurrence: Int
    /// The client's address as text: `127.0.0.1`, `::1`.
    public var clientAddress: String
    /// For `data.bytes`: message content bytes received so far.
    public var bytes: Int?
    /// The transaction's MAIL FROM address, when the scenario's rules look at the envelope
    /// (``ScenarioEngine/usesEnvelope``); on `mail` the engine reads it from the arguments.
    public var sender: [UInt8]?
    /// The recipients accepted so far in the transaction, under the same condition; on `rcpt` the engine
    /// reads the address asked for from the arguments.
    public var recipients: [[UInt8]]?

    public init(
        event: String,
        isUnknownCommand: Bool = false,
        arguments: [UInt8] = [],
        helo: [UInt8]? = nil,
        sessionNumber: Int = 1,
        occurrence: Int = 1,
        messageNumber: Int = 1,
        messageOccurrence: Int = 1,
        clientAddress: String = "127.0.0.1",
        bytes: Int? = nil,
        sender: [UInt8]? = nil,
        recipients: [[UInt8]]? = nil
    ) {
        self.event = event
        self.isUnknownCommand = isUnknownCommand
        self.arguments = arguments
        self.helo = helo
        self.sessionNumber = sessionNumber
        self.occurrence = occurrence
        self.messageNumber = messageNumber
        self.messageOccurrence = messageOccurrence
        self.clientAddress = clientAddress
        self.bytes = bytes
        self.sender = sender
        self.recipients = recipients
    }
}

extension RuleEventContext {
    /// The sender rules see: on `mail` the address being given, later the transaction's.
    var envelopeSender: [UInt8]? {
        event == ScenarioEvent.mail ? SMTPSessionStateMachine.address(inArguments: arguments, prefix: "FROM:") : sender
    }

    /// The recipients rules see: on `rcpt` the one address being given, later those accepted so far.
    var envelopeRecipients: [[UInt8]] {
        guard event == ScenarioEvent.rcpt else { return recipients ?? [] }
        return SMTPSessionStateMachine.address(inArguments: arguments, prefix: "TO:").map { [$0] } ?? []
    }

    /// The bytes of `part` for a keyed condition; empty when the session has none (yet).
    func keyBytes(_ part: StateKeyPart) -> [UInt8] {
        switch part {
        case .client: Array(clientAddress.utf8)
        case .helo: helo ?? []
        case .sender: envelopeSender ?? []
        case .recipient: envelopeRecipients.first ?? []
        case .recipientDomain:
            // Domains compare without regard to case (RFC 5321 §2.4).
            envelopeRecipients.first.map { address in
                address.lastIndex(of: UInt8(ascii: "@")).map { address[($0 + 1)...].map(ASCII.lowercased) } ?? []
            } ?? []
        }
    }
}
