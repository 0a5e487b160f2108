/// The judgment of one check for one client (and, where it applies, one message).
public struct Verdict: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable, CaseIterable {
        case pass, fail
        /// The evidence can still change (a retry may still come, the session is still open).
        case pending
        /// The session cannot tell (the host let go first).
        case inconclusive
    }

    public enum Severity: String, Codable, Sendable {
        case error, warning
    }

    /// One transcript line that decided the verdict.
    public struct Evidence: Codable, Sendable, Equatable {
        public var session: String
        /// The line's index in the session's transcript (0-based).
        public var entry: Int
        public var time: String
        public var text: String

        public init(session: String, entry: Int, time: String, text: String) {
            self.session = session
            self.entry = entry
            self.time = time
            self.text = text
        }
    }

    public var check: String
    public var result: Result
    public var severity: Severity
    public var client: String
    public var sessions: [String]
    /// The message it concerns (`FROM -> TO,TO (N bytes)`), nil for checks about the session itself.
    public var message: String?
    public var evidence: [Evidence]
    /// The RFC and section the check applies.
    public var reference: String
    /// One sentence a person understands.
    public var explanation: String

    public init(
        check: String, result: Result, severity: Severity, client: String, sessions: [String], message: String?,
        evidence: [Evidence], reference: String, explanation: String
    ) {
        self.check = check
        self.result = result
        self.severity = severity
        self.client = client
        self.sessions = sessions
        self.message = message
        self.evidence = evidence
        self.reference = reference
        self.explanation = explanation
    }

    /// Every key, `message: null` included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(check, forKey: .check)
        try container.encode(result, forKey: .result)
        try container.encode(severity, forKey: .severity)
        try container.encode(client, forKey: .client)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(message, forKey: .message)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(reference, forKey: .reference)
        try container.encode(explanation, forKey: .explanation)
    }

    private enum CodingKeys: String, CodingKey {
        case check, result, severity, client, sessions, message, evidence, reference, explanation
    }
}

/// `{"summary": {...}, "verdicts": [...]}`: what the API, `mockmx verdicts --format json` and the library give.
public struct VerdictReport: Codable, Sendable, Equatable {
    public struct Summary: Codable, Sendable, Equatable {
        public var pass = 0
        public var fail = 0
        public var pending = 0
        public var inconclusive = 0

        public init(_ verdicts: [Verdict] = []) {
            for verdict in verdicts {
                switch verdict.result {
                case .pass: pass += 1
                case .fail: fail += 1
                case .pending: pending += 1
                case .inconclusive: inconclusive += 1
                }
            }
        }

        /// `12 pass, 1 fail, 0 pending, 0 inconclusive`: the serve log's last line says this.
        public var line: String {
            "\(pass) pass, \(fail) fail, \(pending) pending, \(inconclusive) inconclusive"
        }
    }

    public var summary: Summary
    public var verdicts: [Verdict]
    /// Each client's full report card: every check, with why those that gave no verdict were not exercised.
    public var cards: [ClientCard]

    public init(_ verdicts: [Verdict]) {
        self.init(verdicts, cards: ClientCard.cards(verdicts))
    }

    public init(_ verdicts: [Verdict], cards: [ClientCard]) {
        self.summary = Summary(verdicts)
        self.verdicts = verdicts
        self.cards = cards
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        verdicts = try container.decode([Verdict].self, forKey: .verdicts)
        summary = try container.decodeIfPresent(Summary.self, forKey: .summary) ?? Summary(verdicts)
        cards = try container.decodeIfPresent([ClientCard].self, forKey: .cards) ?? []
    }

    private enum CodingKeys: String, CodingKey {
        case summary, verdicts, cards
    }

    /// Whether any verdict failed (a warning included): `--fail-on-verdict` and `mockmx verdicts` exit 1.
    public var hasFailure: Bool { summary.fail > 0 }
}
