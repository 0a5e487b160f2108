/// Judges the sender under test from recorded sessions: pure, no I/O, the same verdicts live (the API) and offline
/// (`mockmx verdicts SPOOL`).
public struct VerdictEngine: Sendable {
    /// Expectations by scenario name for sessions that do not record their own (an `expect:` note); others get
    /// the defaults.
    public var expectations: [String: VerdictExpectations]

    public init(expectations: [String: VerdictExpectations] = [:]) {
        self.expectations = expectations
    }

    /// Verdicts on `sessions`: per session first, then per client across its sessions, in the order the
    /// sessions started. `now` (seconds since 1970) decides whether a retry window is over; by default the
    /// latest time the sessions record. `messageIDs`: the `Message-ID` of each message whose content is at hand,
    /// by its queue id (see ``MessageIdentity``); without it duplicates are told by envelope and size.
    /// `dnsLookups`: the questions mockmx's DNS responder was asked, oldest first, for the MX checks.
    public func judge(
        _ sessions: [RecordedSession], now: Double? = nil, messageIDs: [String: String] = [:],
        dnsLookups: [DNSLookup] = []
    ) -> VerdictReport {
        let dialogues = sessions.map(Dialogue.init).sorted {
            ($0.times.first ?? 0, $0.session.id) < ($1.times.first ?? 0, $1.session.id)
        }
        let now = now ?? dialogues.map { $0.endTime ?? $0.times.last ?? 0 }.max() ?? 0
        var verdicts: [Verdict] = []
        var clients: [String] = []
        var byClient: [String: [Dialogue]] = [:]
        for dialogue in dialogues {
            var judge = SessionJudge(dialogue, expectations: expectations(for: dialogue))
            judge.judgeSession()
            verdicts += judge.verdicts
            if byClient[dialogue.session.client] == nil { clients.append(dialogue.session.client) }
            byClient[dialogue.session.client, default: []].append(dialogue)
        }
        for client in clients {
            var judge = ClientJudge(client: client, dialogues: byClient[client]!, now: now, messageIDs: messageIDs) {
                self.expectations(for: $0)
            }
            judge.judge()
            verdicts += judge.verdicts
        }
        if !dnsLookups.isEmpty {
            var judge = MXJudge(lookups: dnsLookups, dialogues: dialogues)
            judge.judge()
            verdicts += judge.verdicts
        }
        return VerdictReport(verdicts)
    }

    /// What the session's own `expect:` note says, else what the engine was given for its scenario.
    private func expectations(for dialogue: Dialogue) -> VerdictExpectations {
        dialogue.expectations ?? expectations[dialogue.session.scenario] ?? VerdictExpectations()
    }
}

/// `?client=`, `?check=`, `?session=`: which verdicts a reader wants.
public struct VerdictFilter: Sendable, Equatable {
    public var client: String?
    public var check: String?
    public var session: String?

    public init(client: String? = nil, check: String? = nil, session: String? = nil) {
        self.client = client
        self.check = check
        self.session = session
    }

    /// nil when fine, else what is wrong (an unknown check name, with the known ones).
    public var problem: String? {
        guard let check, VerdictCheck(rawValue: check) == nil else { return nil }
        return "unknown check '\(check)'; checks: " + VerdictCheck.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The verdicts that match; the cards of the clients asked for, judged on every verdict (a card is about a
    /// client, not one session), each with only the check asked for.
    public func apply(_ report: VerdictReport) -> VerdictReport {
        let cards = report.cards.filter { client == nil || $0.client == client }.map { card in
            var card = card
            if let check { card.checks = card.checks.filter { $0.check == check } }
            return card
        }
        return VerdictReport(
            report.verdicts.filter { verdict in
                (client == nil || verdict.client == client) && (check == nil || verdict.check == check)
                    && (session == nil || verdict.sessions.contains(session!))
            }, cards: cards)
    }
}
