/// What a scenario expects of the sender beyond the RFCs (its `expect:` section).
public struct VerdictExpectations: Sendable, Equatable {
    /// Mail must not go out in plain text after STARTTLS failed.
    public var tlsRequired = false
    /// A temporary failure must be retried within this many seconds (else `retry.after-temporary-failure`
    /// stays `pending` while no retry came).
    public var retryWithinSeconds: Double?
    /// The shortest wait for a withheld reply that passes, instead of RFC 5321 §4.5.3.2's per-step minimum.
    public var minimumPatienceSeconds: Double?

    public init(tlsRequired: Bool = false, retryWithinSeconds: Double? = nil, minimumPatienceSeconds: Double? = nil) {
        self.tlsRequired = tlsRequired
        self.retryWithinSeconds = retryWithinSeconds
        self.minimumPatienceSeconds = minimumPatienceSeconds
    }
}
