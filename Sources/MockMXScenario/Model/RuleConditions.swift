/// The `when:` part of a rule. Every condition present must hold; absent ones (nil) always hold.
public struct RuleConditions: Sendable, Equatable {
    /// `args:` — must match the command's arguments.
    public var arguments: RulePattern?
    /// `helo:` — must match the HELO/EHLO name given so far (never matches before one was given).
    public var helo: RulePattern?
    /// `session:` — the connection's 1-based number on this listener.
    public var session: SessionSelector?
    /// `nth:` — the event's 1-based occurrence in the session.
    public var nth: Int?
    /// `nth-in-message:` — the event's 1-based occurrence in the current message (transaction).
    public var nthInMessage: Int?
    /// `message:` — the 1-based number of the message (transaction) in the session.
    public var message: Int?
    /// `times:` — the rule fires for its first N matches on the engine, then never.
    public var times: Int?
    /// `chance:` — probability in 0...1, drawn from the scenario's seeded generator.
    public var chance: Double?
    /// `client:` — the client's address must be in one of these ranges.
    public var client: [AddressRange]?
    /// `bytes:` — for `data.bytes`: fires once content bytes received reach this many.
    public var bytes: Int?
    /// `sender:` — must match the transaction's MAIL FROM address (on `mail`, the address given).
    public var sender: RulePattern?
    /// `recipient:` — on `rcpt`, must match the address given; on later events of the transaction, must
    /// match one of the recipients accepted so far.
    public var recipient: RulePattern?
    /// `greylist:` — holds while the key is greylisted (keyed state, checked after every other condition).
    public var greylist: GreylistCondition?
    /// `limit:` — holds when the key is over its limit (keyed state, checked after every other condition).
    public var limit: RateLimitCondition?

    public init(
        arguments: RulePattern? = nil,
        helo: RulePattern? = nil,
        session: SessionSelector? = nil,
        nth: Int? = nil,
        nthInMessage: Int? = nil,
        message: Int? = nil,
        times: Int? = nil,
        chance: Double? = nil,
        client: [AddressRange]? = nil,
        bytes: Int? = nil,
        sender: RulePattern? = nil,
        recipient: RulePattern? = nil,
        greylist: GreylistCondition? = nil,
        limit: RateLimitCondition? = nil
    ) {
        self.arguments = arguments
        self.helo = helo
        self.session = session
        self.nth = nth
        self.nthInMessage = nthInMessage
        self.message = message
        self.times = times
        self.chance = chance
        self.client = client
        self.bytes = bytes
        self.sender = sender
        self.recipient = recipient
        self.greylist = greylist
        self.limit = limit
    }

    /// Whether the rule looks at the envelope (`sender:`, `recipient:`, or a key made of its parts).
    var usesEnvelope: Bool {
        sender != nil || recipient != nil
            || (greylist?.key ?? []).contains { $0 != .client && $0 != .helo }
            || (limit?.key ?? []).contains { $0 != .client && $0 != .helo }
    }

    /// Every condition except `times:` (which needs the engine's counters) and `chance:` (which draws
    /// from its generator). Cheap integer checks come before the regexes and address parsing.
    ///
    /// Inlined into the engine's loop, which then reads each condition in place; a call costs a
    /// retain and release per rule looked at.
    @inline(__always)
    func holdsIgnoringCountersAndChance(for context: RuleEventContext, _ subjects: inout EventSubjects) -> Bool {
        if let session, !session.contains(context.sessionNumber) { return false }
        if let nth, context.occurrence != nth { return false }
        if let nthInMessage, context.messageOccurrence != nthInMessage { return false }
        if let message, context.messageNumber != message { return false }
        if let bytes {
            guard let received = context.bytes, received >= bytes else { return false }
        }
        if let client, !client.contains(where: { $0.contains(address: context.clientAddress) }) { return false }
        if let helo, !subjects.heloMatches(helo) { return false }
        if let arguments, !subjects.argumentsMatch(arguments) { return false }
        if let sender, !subjects.senderMatches(sender) { return false }
        if let recipient, !subjects.recipientMatches(recipient) { return false }
        return true
    }
}
