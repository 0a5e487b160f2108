/// What this host expects of the sender under test beyond the RFCs: a scenario's `expect:` section, read by
/// the verdict engine (`starttls.policy`, `retry.after-temporary-failure`, `timeouts.patience`).
public struct ScenarioExpectations: Sendable, Equatable {
    /// `tls: required`: mail must not go out in plain text (STARTTLS failed, not used, or not offered).
    public var tlsRequired: Bool
    /// `retry-within:`: a temporary failure must be retried from a new connection within this long.
    public var retryWithinMilliseconds: Int?
    /// `patience:`: the shortest wait for a withheld reply that passes, instead of RFC 5321 §4.5.3.2's
    /// minimum for that step.
    public var patienceMilliseconds: Int?

    public init(tlsRequired: Bool = false, retryWithinMilliseconds: Int? = nil, patienceMilliseconds: Int? = nil) {
        self.tlsRequired = tlsRequired
        self.retryWithinMilliseconds = retryWithinMilliseconds
        self.patienceMilliseconds = patienceMilliseconds
    }

    /// Nothing beyond the RFCs.
    public var isEmpty: Bool { self == ScenarioExpectations() }
}
