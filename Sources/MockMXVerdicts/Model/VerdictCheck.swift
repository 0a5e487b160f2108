/// The checks the engine runs, with the RFC each applies and how much a failure weighs.
public enum VerdictCheck: String, CaseIterable, Sendable {
    case pipeliningSynchronization = "pipelining.synchronization"
    case replyMultiline = "reply.multiline"
    case dataWaitedFor354 = "data.waited-for-354"
    case sessionQuit = "session.quit"
    case dataLineEndings = "data.line-endings"
    case dataLineLength = "data.line-length"
    case ehloFallback = "ehlo.fallback"
    case sizeRespected = "size.respected"
    case connection421Handled = "connection.421-handled"
    case xexch50Exchange = "xexch50.exchange"
    case starttlsPolicy = "starttls.policy"
    case timeoutsPatience = "timeouts.patience"
    case retryAfterTemporaryFailure = "retry.after-temporary-failure"
    case noRetryAfterPermanentFailure = "no-retry.after-permanent-failure"
    case recipientsPartialAcceptance = "recipients.partial-acceptance"
    case deliveryDuplicate = "delivery.duplicate"
    case mxPreferenceAndFallback = "mx.preference-and-fallback"
    case mxNullMXRespected = "mx.null-mx-respected"

    public var reference: String {
        switch self {
        case .pipeliningSynchronization: "RFC 2920 §3.1, RFC 5321 §4.3"
        case .replyMultiline: "RFC 5321 §4.2.1"
        case .dataWaitedFor354: "RFC 5321 §3.3"
        case .sessionQuit: "RFC 5321 §4.1.1.10"
        case .dataLineEndings: "RFC 5321 §2.3.8"
        case .dataLineLength: "RFC 5321 §4.5.3.1.6"
        case .ehloFallback: "RFC 5321 §3.2"
        case .sizeRespected: "RFC 1870 §6"
        case .connection421Handled: "RFC 5321 §3.8"
        case .xexch50Exchange: "Exchange XEXCH50 (no RFC)"
        case .starttlsPolicy: "RFC 3207 §4.1"
        case .timeoutsPatience: "RFC 5321 §4.5.3.2"
        case .retryAfterTemporaryFailure: "RFC 5321 §4.5.4.1"
        case .noRetryAfterPermanentFailure: "RFC 5321 §4.2.1"
        case .recipientsPartialAcceptance: "RFC 5321 §3.3"
        case .deliveryDuplicate: "RFC 1047"
        case .mxPreferenceAndFallback: "RFC 5321 §5.1"
        case .mxNullMXRespected: "RFC 7505 §3, §4"
        }
    }

    /// Warnings are failures a CI can choose to tolerate (`--junit-warnings` makes them JUnit failures).
    public var severity: Verdict.Severity {
        switch self {
        case .sessionQuit, .deliveryDuplicate, .replyMultiline: .warning
        default: .error
        }
    }
}
