/// The full report card of one client: every check the engine knows, with the worst result of its verdicts, or
/// why it was not exercised — what an `exam` host's run is read by.
public struct ClientCard: Codable, Sendable, Equatable {
    /// One check on the card.
    public struct Entry: Codable, Sendable, Equatable {
        public var check: String
        /// `pass`, `fail`, `pending`, `inconclusive` (the worst of its verdicts, in that order of weight:
        /// fail, pending, inconclusive, pass), or `not-exercised`.
        public var result: String
        public var severity: Verdict.Severity
        /// How many verdicts the check gave this client.
        public var verdicts: Int
        public var reference: String
        /// Why the check gave no verdict: what the sessions would have had to show (nil when exercised).
        public var reason: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(check, forKey: .check)
            try container.encode(result, forKey: .result)
            try container.encode(severity, forKey: .severity)
            try container.encode(verdicts, forKey: .verdicts)
            try container.encode(reference, forKey: .reference)
            try container.encode(reason, forKey: .reason)
        }

        private enum CodingKeys: String, CodingKey {
            case check, result, severity, verdicts, reference, reason
        }
    }

    /// Checks counted by their card result.
    public struct Summary: Codable, Sendable, Equatable {
        public var pass = 0
        public var fail = 0
        public var pending = 0
        public var inconclusive = 0
        public var notExercised = 0

        /// `9 pass, 1 fail, 0 pending, 0 inconclusive, 8 not exercised`
        public var line: String {
            "\(pass) pass, \(fail) fail, \(pending) pending, \(inconclusive) inconclusive, \(notExercised) not exercised"
        }
    }

    public static let notExercised = "not-exercised"

    public var client: String
    public var summary: Summary
    /// Every check, in the engine's order.
    public var checks: [Entry]

    /// The card of `client` from its verdicts (others are ignored).
    public init(client: String, verdicts: [Verdict]) {
        self.client = client
        var byCheck: [String: [Verdict.Result]] = [:]
        for verdict in verdicts where verdict.client == client {
            byCheck[verdict.check, default: []].append(verdict.result)
        }
        var summary = Summary()
        checks = VerdictCheck.allCases.map { check in
            let results = byCheck[check.rawValue] ?? []
            let worst = [Verdict.Result.fail, .pending, .inconclusive, .pass].first { results.contains($0) }
            switch worst {
            case .fail: summary.fail += 1
            case .pending: summary.pending += 1
            case .inconclusive: summary.inconclusive += 1
            case .pass: summary.pass += 1
            case nil: summary.notExercised += 1
            }
            return Entry(
                check: check.rawValue, result: worst?.rawValue ?? ClientCard.notExercised, severity: check.severity,
                verdicts: results.count, reference: check.reference, reason: worst == nil ? check.notExercisedReason : nil)
        }
        self.summary = summary
    }

    /// One card per client, in the order the clients first appear among `verdicts`.
    static func cards(_ verdicts: [Verdict]) -> [ClientCard] {
        var clients: [String] = []
        var byClient: [String: [Verdict]] = [:]
        for verdict in verdicts {
            if byClient[verdict.client] == nil { clients.append(verdict.client) }
            byClient[verdict.client, default: []].append(verdict)
        }
        return clients.map { ClientCard(client: $0, verdicts: byClient[$0]!) }
    }
}

extension VerdictCheck {
    /// Why a check gave a client no verdict: what its sessions would have had to show.
    public var notExercisedReason: String {
        switch self {
        case .pipeliningSynchronization: "the client sent no command"
        case .replyMultiline: "no command followed a multi-line reply (an EHLO reply listing extensions is one)"
        case .dataWaitedFor354, .dataLineEndings, .dataLineLength: "the client sent no message content after DATA"
        case .sessionQuit: "no session ended in a way that judges QUIT (not after a 421 or a withheld reply)"
        case .ehloFallback: "the host never refused EHLO with 500 or 502"
        case .sizeRespected: "the host advertised no SIZE and refused no MAIL with 552"
        case .connection421Handled: "the host sent no 421"
        case .xexch50Exchange: "the client sent no XEXCH50"
        case .starttlsPolicy: "the host offered no STARTTLS and did not require TLS"
        case .timeoutsPatience: "the host withheld no reply"
        case .retryAfterTemporaryFailure: "the host refused no recipient, sender, message or connection with 4yz"
        case .noRetryAfterPermanentFailure: "the host refused no recipient, sender or message with 550-554"
        case .recipientsPartialAcceptance: "no transaction had both refused and accepted recipients"
        case .deliveryDuplicate: "no message was delivered"
        case .mxPreferenceAndFallback: "the client looked up no MX record at mockmx's DNS responder (serve --dns)"
        case .mxNullMXRespected: "the client looked up no null MX at mockmx's DNS responder"
        }
    }
}
