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
        bytes: Int? = nil
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
    }
}
