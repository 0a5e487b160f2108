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
    /// `sender:`, `recipient:`, `greylist:` and `limit:`, out of line: the engine returns a rule by value for
    /// every event, and these inline made that copy 80 bytes longer for every scenario (measured: +0.4%
    /// instructions per message for the default persona).
    private var envelopeAndState: EnvelopeAndStateConditions?

    /// `sender:` — must match the transaction's MAIL FROM address (on `mail`, the address given).
    public var sender: RulePattern? {
        get { envelopeAndState?.sender }
        set { envelopeAndState = .with(envelopeAndState) { $0.sender = newValue } }
    }
    /// `recipient:` — on `rcpt`, must match the address given; on later events of the transaction, must
    /// match one of the recipients accepted so far.
    public var recipient: RulePattern? {
        get { envelopeAndState?.recipient }
        set { envelopeAndState = .with(envelopeAndState) { $0.recipient = newValue } }
    }
    /// `greylist:` — holds while the key is greylisted (keyed state, checked after every other condition).
    public var greylist: GreylistCondition? {
        get { envelopeAndState?.greylist }
        set { envelopeAndState = .with(envelopeAndState) { $0.greylist = newValue } }
    }
    /// `limit:` — holds when the key is over its limit (keyed state, checked after every other condition).
    public var limit: RateLimitCondition? {
        get { envelopeAndState?.limit }
        set { envelopeAndState = .with(envelopeAndState) { $0.limit = newValue } }
    }

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
        let extra = EnvelopeAndStateConditions.Values(
            sender: sender, recipient: recipient, greylist: greylist, limit: limit)
        self.envelopeAndState = extra.isEmpty ? nil : EnvelopeAndStateConditions(extra)
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
        if let envelope = envelopeAndState?.values {
            if let sender = envelope.sender, !subjects.senderMatches(sender) { return false }
            if let recipient = envelope.recipient, !subjects.recipientMatches(recipient) { return false }
        }
        return true
    }
}

/// The conditions a ``RuleConditions`` keeps out of line; never changed once made (a setter makes a new one).
final class EnvelopeAndStateConditions: Sendable, Equatable {
    struct Values: Sendable, Equatable {
        var sender: RulePattern?
        var recipient: RulePattern?
        var greylist: GreylistCondition?
        var limit: RateLimitCondition?

        var isEmpty: Bool { sender == nil && recipient == nil && greylist == nil && limit == nil }
    }

    let values: Values
    var sender: RulePattern? { values.sender }
    var recipient: RulePattern? { values.recipient }
    var greylist: GreylistCondition? { values.greylist }
    var limit: RateLimitCondition? { values.limit }

    init(_ values: Values) {
        self.values = values
    }

    /// `existing` with `change` applied, or nil when nothing is left.
    static func with(
        _ existing: EnvelopeAndStateConditions?, _ change: (inout Values) -> Void
    ) -> EnvelopeAndStateConditions? {
        var values = existing?.values ?? Values()
        change(&values)
        return values.isEmpty ? nil : EnvelopeAndStateConditions(values)
    }

    static func == (lhs: EnvelopeAndStateConditions, rhs: EnvelopeAndStateConditions) -> Bool {
        lhs.values == rhs.values
    }
}
