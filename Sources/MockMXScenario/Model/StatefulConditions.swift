/// What a keyed condition (`greylist:`, `limit:`) keys its state on: parts of the session and envelope,
/// joined in the order written.
public enum StateKeyPart: String, Sendable, Equatable, CaseIterable {
    /// The client's IP address.
    case client
    /// The HELO/EHLO name.
    case helo
    /// The transaction's MAIL FROM address.
    case sender
    /// The address RCPT TO names (only on `rcpt`).
    case recipient
    /// The domain of that address, after its last `@`.
    case recipientDomain = "recipient-domain"
}

/// `greylist:` — postgrey's rule on a key (usually the client, sender, recipient triplet): the first time the
/// key is seen, and until `delay` has passed since, the condition holds (the rule refuses); after that it
/// no longer holds, for as long as the key keeps coming back within `expire`.
public struct GreylistCondition: Sendable, Equatable {
    public var key: [StateKeyPart]
    /// How long a new key is refused, in nominal (unscaled) milliseconds.
    public var delayMilliseconds: Int
    /// How long a key is remembered after it was last seen.
    public var expireMilliseconds: Int

    public init(key: [StateKeyPart], delayMilliseconds: Int, expireMilliseconds: Int) {
        self.key = key
        self.delayMilliseconds = delayMilliseconds
        self.expireMilliseconds = expireMilliseconds
    }

    /// postgrey's defaults: `--delay=300`, `--max-age=35` days.
    public static let defaultDelayMilliseconds = 300_000
    public static let defaultExpireMilliseconds = 35 * 86_400_000
}

/// `limit:` — at most `max` of the rule's events per key, in a sliding `window` (or ever, without one):
/// the condition holds for the events beyond (the rule refuses). Refused events are not counted, so a key
/// gets through again as soon as its oldest counted event leaves the window.
public struct RateLimitCondition: Sendable, Equatable {
    public var key: [StateKeyPart]
    public var maximum: Int
    /// nil: events are counted for as long as the scenario runs (a mailbox that fills).
    public var windowMilliseconds: Int?

    public init(key: [StateKeyPart], maximum: Int, windowMilliseconds: Int?) {
        self.key = key
        self.maximum = maximum
        self.windowMilliseconds = windowMilliseconds
    }

    /// The largest `max:`: every counted event inside a window keeps its time.
    public static let maximumLimit = 100_000
}
