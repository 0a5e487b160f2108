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

extension VerdictExpectations {
    static let notePrefix = "expect: "

    /// How a session records its scenario's expectations (a note after the connect note), so a spool judged
    /// offline is held to what the live host expected: `expect: tls required, retry within 1800.0 s, patience
    /// 600.0 s`.
    public var note: String {
        var parts: [String] = []
        if tlsRequired { parts.append("tls required") }
        if let retryWithinSeconds { parts.append("retry within \(retryWithinSeconds) s") }
        if let minimumPatienceSeconds { parts.append("patience \(minimumPatienceSeconds) s") }
        return VerdictExpectations.notePrefix + parts.joined(separator: ", ")
    }

    /// The expectations a note states; nil when `note` is not one.
    public init?(note: String) {
        guard note.hasPrefix(VerdictExpectations.notePrefix) else { return nil }
        self.init()
        for part in note.dropFirst(VerdictExpectations.notePrefix.count).split(separator: ",") {
            let words = part.split(separator: " ")
            switch words.first {
            case "tls" where words.count == 2 && words[1] == "required":
                tlsRequired = true
            case "retry" where words.count == 4:
                guard let seconds = Double(words[2]) else { return nil }
                retryWithinSeconds = seconds
            case "patience" where words.count == 3:
                guard let seconds = Double(words[1]) else { return nil }
                minimumPatienceSeconds = seconds
            default:
                return nil
            }
        }
    }
}

/// The note a session gets when a greylisting rule refuses: how long the host asked the client to wait, in real
/// seconds (`--clock-scale` applied), so `retry.after-temporary-failure` can tell a retry that came too early:
/// `greylisted: retry not before 300.0 s`.
public enum RetryDelayNote {
    static let prefix = "greylisted: retry not before "

    public static func text(seconds: Double) -> String {
        prefix + "\(seconds) s"
    }

    /// The seconds a note states; nil when `note` is not one.
    static func seconds(in note: String) -> Double? {
        guard note.hasPrefix(prefix), note.hasSuffix(" s") else { return nil }
        return Double(note.dropFirst(prefix.count).dropLast(2)).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
    }
}
