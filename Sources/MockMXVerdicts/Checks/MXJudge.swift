/// `mx.preference-and-fallback` and `mx.null-mx-respected`: what the client did with the MX records it looked up
/// at mockmx's DNS responder, judged from the lookups (by `time`) and the sessions that followed (by `startedAt`,
/// matched to MX hosts by the address of the listener they reached).
struct MXJudge {
    /// One MX record of a lookup's answer.
    private struct Exchange {
        var preference: Int
        var host: String
        /// The addresses the A and AAAA lookups of the host answered; nil when nobody looked the host up.
        var addresses: Set<String>?
    }

    let lookups: [DNSLookup]
    let dialogues: [Dialogue]
    private let times: [Double]
    /// The addresses the A and AAAA lookups of each name answered (empty when they answered none), read once.
    private let addressesByHost: [String: Set<String>]
    private(set) var verdicts: [Verdict] = []

    init(lookups: [DNSLookup], dialogues: [Dialogue]) {
        self.lookups = lookups
        self.dialogues = dialogues
        self.times = lookups.map { SessionTime.parse($0.time) ?? 0 }
        var addresses: [String: Set<String>] = [:]
        for lookup in lookups where lookup.type == "A" || lookup.type == "AAAA" {
            addresses[DNSLookup.normalized(lookup.name), default: []]
                .formUnion(lookup.rcode == "NOERROR" ? lookup.answers : [])
        }
        self.addressesByHost = addresses
    }

    mutating func judge() {
        var nullJudged = Set<String>()
        for (index, lookup) in lookups.enumerated() where lookup.type == "MX" && lookup.rcode == "NOERROR" {
            let records = lookup.answers.compactMap(Self.record)
            guard !records.isEmpty else { continue }
            let domain = DNSLookup.normalized(lookup.name)
            if records.count == 1, records[0].host == "." {
                if nullJudged.insert(lookup.client + " " + domain).inserted { judgeNullMX(index, domain) }
            } else {
                judgePreference(index, domain, records)
            }
        }
    }

    /// `10 mx1.example.test.` as (10, `mx1.example.test`); a null MX's host is `.`.
    private static func record(_ answer: String) -> (preference: Int, host: String)? {
        let parts = answer.split(separator: " ")
        guard parts.count == 2, let preference = Int(parts[0]) else { return nil }
        return (preference, parts[1] == "." ? "." : DNSLookup.normalized(parts[1]))
    }

    /// The address a session's listener was bound to (`127.0.0.2:25` → `127.0.0.2`, `[::1]:25` → `::1`).
    private static func address(ofListener listener: String) -> String? {
        if listener.hasPrefix("[") { return listener.dropFirst().split(separator: "]").first.map(String.init) }
        guard !listener.hasPrefix("unix:"), let colon = listener.lastIndex(of: ":") else { return nil }
        return String(listener[..<colon])
    }

    private func startTime(_ dialogue: Dialogue) -> Double {
        SessionTime.parse(dialogue.session.startedAt) ?? dialogue.times.first ?? 0
    }

    private mutating func add(
        _ check: VerdictCheck, _ result: Verdict.Result, client: String, domain: String, sessions: [Int],
        evidence: [Verdict.Evidence], _ explanation: String
    ) {
        verdicts.append(
            Verdict(
                check: check.rawValue, result: result, severity: check.severity, client: client,
                sessions: sessions.map { dialogues[$0].session.id }, message: "MX \(domain)", evidence: evidence,
                reference: check.reference, explanation: explanation))
    }

    /// The sessions that started after lookup `index` and before the client's next MX lookup of the same domain.
    private func window(after index: Int, _ domain: String) -> (sessions: [Int], hasNextLookup: Bool) {
        let lookup = lookups[index]
        let next = lookups.indices.first { later in
            later > index && lookups[later].type == "MX" && lookups[later].client == lookup.client
                && DNSLookup.normalized(lookups[later].name) == domain
        }
        let end = next.map { times[$0] } ?? .infinity
        let sessions = dialogues.indices.filter { startTime(dialogues[$0]) >= times[index] && startTime(dialogues[$0]) < end }
        return (sessions, next != nil)
    }

    /// RFC 5321 §5.1: the lowest preference first, the next host when it fails.
    private mutating func judgePreference(_ index: Int, _ domain: String, _ records: [(preference: Int, host: String)]) {
        let lookup = lookups[index]
        let exchanges = records.map { record in
            Exchange(preference: record.preference, host: record.host, addresses: addressesByHost[record.host])
        }
        let (window, hasNextLookup) = window(after: index, domain)
        // Each session reaching one of the hosts, with the exchange it reached (the lowest preference that has
        // the address).
        let attempts: [(session: Int, exchange: Exchange)] = window.compactMap { session in
            guard let address = Self.address(ofListener: dialogues[session].session.listener) else { return nil }
            let reached = exchanges.filter { $0.addresses?.contains(address) == true }
                .min { $0.preference < $1.preference }
            return reached.map { (session, $0) }
        }
        let lookupEvidence = lookup.evidence(index)
        guard let first = attempts.first else {
            // A later lookup of the same domain is judged on its own; without one a connection may still come.
            if !hasNextLookup {
                add(
                    .mxPreferenceAndFallback, .pending, client: lookup.client, domain: domain, sessions: [],
                    evidence: [lookupEvidence], "the client looked up the MX of \(domain) and has not reached any of its hosts yet")
            }
            return
        }
        let client = dialogues[first.session].session.client
        let firstEvidence = [lookupEvidence] + opening(first.session)
        let name = { (exchange: Exchange) in "\(exchange.host) (preference \(exchange.preference))" }
        // Hosts more preferred than the first one reached that have an address the client could have tried.
        let skipped = exchanges.filter { $0.preference < first.exchange.preference && $0.addresses?.isEmpty != true }
        if let unresolved = skipped.first(where: { $0.addresses == nil }) {
            add(
                .mxPreferenceAndFallback, .fail, client: client, domain: domain, sessions: [first.session],
                evidence: firstEvidence,
                "the client went to \(name(first.exchange)) without even looking up \(name(unresolved))")
            return
        }
        if let resolved = skipped.first {
            add(
                .mxPreferenceAndFallback, .inconclusive, client: client, domain: domain, sessions: [first.session],
                evidence: firstEvidence,
                "the client looked up \(name(resolved)) but reached \(name(first.exchange)) first: a refused connection leaves no session to tell whether it tried")
            return
        }
        let dialogue = dialogues[first.session]
        guard let failure = failure(of: dialogue) else {
            add(
                .mxPreferenceAndFallback, .pass, client: client, domain: domain, sessions: [first.session],
                evidence: firstEvidence, "the client tried \(name(first.exchange)), the most preferred host, first")
            return
        }
        let failed = [lookupEvidence, dialogue.evidence(failure.entry)]
        let others = exchanges.filter { $0.host != first.exchange.host && $0.preference >= first.exchange.preference }
        if let fallback = attempts.dropFirst().first(where: { $0.exchange.host != first.exchange.host }),
            fallback.exchange.preference >= first.exchange.preference
        {
            add(
                .mxPreferenceAndFallback, .pass, client: client, domain: domain,
                sessions: [first.session, fallback.session], evidence: failed + opening(fallback.session),
                "\(name(first.exchange)) \(failure.what) and the client fell back to \(name(fallback.exchange))")
        } else if others.isEmpty {
            add(
                .mxPreferenceAndFallback, .pass, client: client, domain: domain, sessions: [first.session],
                evidence: failed, "the client tried \(name(first.exchange)), the only host, which \(failure.what)")
        } else if let again = attempts.dropFirst().first {
            add(
                .mxPreferenceAndFallback, .fail, client: client, domain: domain, sessions: [first.session, again.session],
                evidence: failed + opening(again.session),
                "\(name(first.exchange)) \(failure.what) and the client went back to \(name(again.exchange)) "
                    + "instead of falling back to \(name(others.min { $0.preference < $1.preference }!))")
        } else {
            add(
                .mxPreferenceAndFallback, .pending, client: client, domain: domain, sessions: [first.session],
                evidence: failed, "\(name(first.exchange)) \(failure.what) and the client has not tried the next host yet")
        }
    }

    /// Why a session to an MX host counts as failed, so a sender tries the next host: a 4yz or 5yz greeting, a
    /// 421, or the host closing before a message was delivered. nil when it delivered or ended otherwise.
    private func failure(of dialogue: Dialogue) -> (entry: Int, what: String)? {
        let delivered = Transaction.all(in: dialogue, session: 0).contains(where: \.delivered)
        guard !delivered else { return nil }
        if let greeting = dialogue.greeting, dialogue.replies[greeting].code >= 400 {
            return (dialogue.replies[greeting].entries[0], "greeted with \(dialogue.replies[greeting].code)")
        }
        if let reply = dialogue.replies.first(where: { $0.code == 421 }) {
            return (reply.entries[0], "answered 421")
        }
        if let reason = dialogue.session.endReason, ["closed-by-rule", "reset-by-rule", "timeout"].contains(reason),
            !dialogue.session.transcript.isEmpty
        {
            return (dialogue.session.transcript.count - 1, "closed the connection (\(reason))")
        }
        return nil
    }

    /// A session's first line (its connect note), as evidence that it was opened.
    private func opening(_ session: Int) -> [Verdict.Evidence] {
        dialogues[session].session.transcript.isEmpty ? [] : [dialogues[session].evidence(0)]
    }

    /// RFC 7505: a domain whose only MX is `0 .` takes no mail; no session may carry a recipient there.
    private mutating func judgeNullMX(_ index: Int, _ domain: String) {
        let lookup = lookups[index]
        for session in dialogues.indices where startTime(dialogues[session]) >= times[index] {
            let dialogue = dialogues[session]
            guard let rcpt = dialogue.commands.first(where: { command in
                command.verb == "RCPT" && DNSLookup.normalized(Envelope.address(command.argument).split(separator: "@").last ?? "") == domain
            }) else { continue }
            add(
                .mxNullMXRespected, .fail, client: dialogue.session.client, domain: domain, sessions: [session],
                evidence: [lookup.evidence(index), dialogue.evidence(rcpt.entry)],
                "\(domain) has a null MX (it takes no mail) and the client still sent a recipient there")
            return
        }
        add(
            .mxNullMXRespected, .pass, client: lookup.client, domain: domain, sessions: [], evidence: [lookup.evidence(index)],
            "\(domain) has a null MX and the client sent it nothing")
    }
}
