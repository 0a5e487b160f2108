/// Checks that need every session of one client, in the order they started: retries, refusals, duplicates.
struct ClientJudge {
    let client: String
    let dialogues: [Dialogue]
    let expectations: (Dialogue) -> VerdictExpectations
    /// The time the judging happens at (seconds since 1970): a retry window is over once it has passed.
    let now: Double
    /// Message-ID headers by queue id, for the messages whose content is still at hand.
    let messageIDs: [String: String]
    private(set) var verdicts: [Verdict] = []
    private let transactions: [Transaction]

    init(
        client: String, dialogues: [Dialogue], now: Double, messageIDs: [String: String],
        expectations: @escaping (Dialogue) -> VerdictExpectations
    ) {
        self.client = client
        self.dialogues = dialogues
        self.now = now
        self.messageIDs = messageIDs
        self.expectations = expectations
        self.transactions = dialogues.indices.flatMap { Transaction.all(in: dialogues[$0], session: $0) }
    }

    mutating func judge() {
        judgeTemporaryFailures()
        judgePermanentFailures()
        judgePartialAcceptance()
        judgeDuplicates()
        judgeTLS()
    }

    private func evidence(_ session: Int, _ entry: Int) -> Verdict.Evidence {
        dialogues[session].evidence(entry)
    }

    private func entry(_ transaction: Transaction, _ command: Int) -> Int {
        dialogues[transaction.session].commands[command].entry
    }

    private func replyEntry(_ transaction: Transaction, _ command: Int) -> Int? {
        dialogues[transaction.session].reply(of: dialogues[transaction.session].commands[command])?.entries[0]
    }

    private mutating func add(
        _ check: VerdictCheck, _ result: Verdict.Result, sessions: [Int], message: String?,
        evidence: [(Int, Int?)], _ explanation: String
    ) {
        var seen = Set<Int>()
        let ids = sessions.filter { seen.insert($0).inserted }.map { dialogues[$0].session.id }
        verdicts.append(
            Verdict(
                check: check.rawValue, result: result, severity: check.severity, client: client, sessions: ids,
                message: message, evidence: evidence.compactMap { session, entry in entry.map { self.evidence(session, $0) } },
                reference: check.reference, explanation: explanation))
    }

    /// `retry.after-temporary-failure`: a 4yz to a recipient, the sender, the message or the connection is retried
    /// from a later connection.
    private mutating func judgeTemporaryFailures() {
        var judged = Set<String>()
        for transaction in transactions {
            let failures: [(recipients: [String], command: Int, what: String)]
            if let code = transaction.mailCode, code / 100 == 4 {
                failures = [(transaction.recipients.map(\.address), transaction.mail, "MAIL got \(code)")]
            } else if let content = transaction.content, let code = transaction.contentCode, code / 100 == 4 {
                failures = [(transaction.accepted, content, "the message got \(code)")]
            } else {
                failures = transaction.recipients.filter { ($0.code ?? 0) / 100 == 4 }
                    .map { ([$0.address], $0.command, "RCPT got \($0.code ?? 0)") }
            }
            for failure in failures {
                let message = Envelope.label(from: transaction.from, to: failure.recipients, bytes: nil)
                guard judged.insert(message).inserted else { continue }
                let retry = transactions.first { later in
                    later.session > transaction.session && later.from == transaction.from
                        && (failure.recipients.isEmpty
                            || later.recipients.contains { failure.recipients.contains($0.address) })
                }
                let failed = (transaction.session, replyEntry(transaction, failure.command))
                if let retry, let early = tooEarly(transaction, failure.command, retry: retry, failure.recipients) {
                    add(
                        .retryAfterTemporaryFailure, .fail, sessions: [transaction.session, retry.session],
                        message: message, evidence: [(transaction.session, early.note), failed, (retry.session, early.entry)],
                        "\(failure.what) asking for a retry after \(SessionTime.seconds(early.asked)) and the client "
                            + "retried after \(SessionTime.seconds(early.waited)), before the delay the host asked for")
                } else if let retry {
                    add(
                        .retryAfterTemporaryFailure, .pass, sessions: [transaction.session, retry.session],
                        message: message, evidence: [failed, (retry.session, entry(retry, retry.mail))],
                        "\(failure.what) and the client retried from a new connection")
                } else {
                    unretried(transaction, failed: failed, message: message, what: failure.what)
                }
            }
        }
        for (index, dialogue) in dialogues.enumerated() {
            guard let greeting = dialogue.greeting, dialogue.replies[greeting].code == 421 else { continue }
            let message = "connection"
            let failed = (index, Optional(dialogue.replies[greeting].entries[0]))
            if index + 1 < dialogues.count {
                add(
                    .retryAfterTemporaryFailure, .pass, sessions: [index, index + 1], message: message,
                    evidence: [failed, (index + 1, 0)], "the greeting was 421 and the client connected again")
            } else {
                add(
                    .retryAfterTemporaryFailure, .pending, sessions: [index], message: message, evidence: [failed],
                    "the greeting was 421 and no new connection came yet")
            }
        }
    }

    /// When a greylisting rule stated its delay (a `greylisted: retry not before` note) and the retry's same step
    /// came sooner: the retry's step (the recipient's RCPT, the message's end of data, else MAIL), how long after
    /// the refusal it came, and the delay asked for.
    private func tooEarly(
        _ transaction: Transaction, _ command: Int, retry: Transaction, _ recipients: [String]
    ) -> (note: Int, entry: Int, waited: Double, asked: Double)? {
        let dialogue = dialogues[transaction.session]
        guard let asked = dialogue.commands[command].askedDelay else { return nil }
        let step: Int
        if command == transaction.content, let content = retry.content {
            step = content
        } else if command == transaction.mail {
            step = retry.mail
        } else {
            step = retry.recipients.first { recipients.contains($0.address) }?.command ?? retry.mail
        }
        let retried = dialogues[retry.session].commands[step]
        let time = retried.kind == .content ? retried.endTime : retried.time
        let waited = time - dialogue.times[asked.entry]
        guard waited < asked.seconds else { return nil }
        return (asked.entry, retried.kind == .content ? retried.endEntry : retried.entry, waited, asked.seconds)
    }

    private mutating func unretried(
        _ transaction: Transaction, failed: (Int, Int?), message: String, what: String
    ) {
        let dialogue = dialogues[transaction.session]
        let since = dialogue.times[dialogue.commands[transaction.mail].entry]
        if let window = expectations(dialogue).retryWithinSeconds, now - since > window {
            add(
                .retryAfterTemporaryFailure, .fail, sessions: [transaction.session], message: message,
                evidence: [failed],
                "\(what) and no retry came within the expected \(SessionTime.seconds(window))")
        } else {
            add(
                .retryAfterTemporaryFailure, .pending, sessions: [transaction.session], message: message,
                evidence: [failed], "\(what) and no retry came yet")
        }
    }

    /// `no-retry.after-permanent-failure`: a recipient, sender or message refused with 5yz is not tried again.
    private mutating func judgePermanentFailures() {
        var judged = Set<String>()
        for (position, transaction) in transactions.enumerated() {
            var refusals: [(recipients: [String], command: Int, what: String, same: (Transaction) -> Bool)] = []
            if let code = transaction.mailCode, Self.isRefusal(code) {
                refusals.append(([], transaction.mail, "MAIL got \(code)", { $0.from == transaction.from }))
            }
            for recipient in transaction.recipients where Self.isRefusal(recipient.code) {
                refusals.append(
                    ([recipient.address], recipient.command, "RCPT got \(recipient.code ?? 0)",
                     { $0.from == transaction.from && $0.recipients.contains { $0.address == recipient.address } }))
            }
            if let content = transaction.content, Self.isRefusal(transaction.contentCode) {
                let accepted = Set(transaction.accepted)
                refusals.append(
                    (transaction.accepted, content, "the message got \(transaction.contentCode ?? 0)",
                     { $0.from == transaction.from && Set($0.accepted) == accepted
                        && $0.contentBytes == transaction.contentBytes && $0.content != nil }))
            }
            for refusal in refusals {
                let message = Envelope.label(from: transaction.from, to: refusal.recipients, bytes: nil)
                guard judged.insert(message).inserted else { continue }
                let failed = (transaction.session, replyEntry(transaction, refusal.command))
                if let again = transactions[(position + 1)...].first(where: refusal.same) {
                    add(
                        .noRetryAfterPermanentFailure, .fail, sessions: [transaction.session, again.session],
                        message: message, evidence: [failed, (again.session, entry(again, again.mail))],
                        "\(refusal.what), a permanent refusal, and the client tried the same again")
                } else {
                    add(
                        .noRetryAfterPermanentFailure, .pass, sessions: [transaction.session], message: message,
                        evidence: [failed], "\(refusal.what) and the client did not try it again")
                }
            }
        }
    }

    /// Refusals of what was asked, not complaints about how (500–504 are syntax and sequence errors).
    private static func isRefusal(_ code: Int?) -> Bool {
        guard let code else { return false }
        return (550...554).contains(code)
    }

    /// `recipients.partial-acceptance`: some recipients refused, the message still goes to the others — once.
    private mutating func judgePartialAcceptance() {
        for (position, transaction) in transactions.enumerated() {
            let refused = transaction.recipients.filter { Self.isRefusal($0.code) }
            let accepted = transaction.accepted
            guard !refused.isEmpty, !accepted.isEmpty else { continue }
            let message = Envelope.label(from: transaction.from, to: accepted, bytes: nil)
            let refusedEvidence = (transaction.session, replyEntry(transaction, refused[0].command))
            guard let content = transaction.content else {
                if dialogues[transaction.session].isOpen { continue }
                add(
                    .recipientsPartialAcceptance, .fail, sessions: [transaction.session], message: message,
                    evidence: [refusedEvidence],
                    "\(refused.count) recipient(s) were refused and the client did not deliver to the \(accepted.count) accepted")
                continue
            }
            let resent = transaction.delivered
                ? transactions[(position + 1)...].first { later in
                    later.from == transaction.from && later.content != nil
                        && later.accepted.contains { accepted.contains($0) }
                } : nil
            if let resent {
                add(
                    .recipientsPartialAcceptance, .fail, sessions: [transaction.session, resent.session],
                    message: message, evidence: [refusedEvidence, (resent.session, entry(resent, resent.mail))],
                    "the client sent the message again to recipients that had already accepted it")
            } else {
                add(
                    .recipientsPartialAcceptance, .pass, sessions: [transaction.session], message: message,
                    evidence: [refusedEvidence, (transaction.session, entry(transaction, content))],
                    "\(refused.count) recipient(s) were refused and the client delivered to the \(accepted.count) accepted")
            }
        }
    }

    /// `delivery.duplicate`: the same message delivered twice — the same Message-ID to the same recipients, or
    /// without one at hand the same envelope and size.
    private mutating func judgeDuplicates() {
        var first: [String: Transaction] = [:]
        var order: [String] = []
        var repeats: [String: [Transaction]] = [:]
        var labels: [String: String] = [:]
        for transaction in transactions where transaction.delivered {
            let recipients = transaction.accepted.sorted()
            let label = Envelope.label(from: transaction.from, to: recipients, bytes: transaction.contentBytes)
            let key = transaction.queueID.flatMap { messageIDs[$0] }.map {
                "Message-ID \($0) " + Envelope.label(from: transaction.from, to: recipients, bytes: nil)
            } ?? label
            if first[key] == nil {
                labels[key] = label
                first[key] = transaction
                order.append(key)
            } else {
                repeats[key, default: []].append(transaction)
            }
        }
        for key in order {
            let original = first[key]!
            let message = labels[key]!
            let contentEvidence = (original.session, original.content.map { entry(original, $0) })
            guard let again = repeats[key]?.first else {
                add(
                    .deliveryDuplicate, .pass, sessions: [original.session], message: message, evidence: [contentEvidence],
                    "the message was delivered once")
                continue
            }
            let againEvidence = (again.session, again.content.map { entry(again, $0) })
            if original.contentWithheld {
                add(
                    .deliveryDuplicate, .pass, sessions: [original.session, again.session], message: message,
                    evidence: [contentEvidence, againEvidence],
                    "the message came twice, as expected after the host withheld the end-of-data reply")
            } else {
                add(
                    .deliveryDuplicate, .fail, sessions: [original.session, again.session], message: message,
                    evidence: [contentEvidence, againEvidence],
                    "the message was delivered again after the host had accepted it")
            }
        }
    }

    /// `starttls.policy`: what the client did with STARTTLS; with `expect: {tls: required}` mail in plain text
    /// (STARTTLS failed, not used, or not offered) fails.
    private mutating func judgeTLS() {
        for (index, dialogue) in dialogues.enumerated() {
            let required = expectations(dialogue).tlsRequired
            let commands = dialogue.commands
            let mail = commands.firstIndex { $0.verb == "MAIL" }
            if let starttls = commands.firstIndex(where: { $0.verb == "STARTTLS" }) {
                let reply = dialogue.reply(of: commands[starttls])
                var evidence = [(index, Optional(commands[starttls].entry)), (index, reply?.entries[0])]
                let handshakeFailed = dialogue.session.endReason == "tls-failed" && starttls == commands.count - 1
                if reply?.code == 220, !handshakeFailed {
                    add(.starttlsPolicy, .pass, sessions: [index], message: nil, evidence: evidence,
                        "the client started TLS")
                    continue
                }
                let what = handshakeFailed ? "the TLS handshake failed" : "STARTTLS got \(reply?.code ?? 0)"
                guard let mail, mail > starttls else {
                    add(.starttlsPolicy, .pass, sessions: [index], message: nil, evidence: evidence,
                        what + " and the client sent no mail in plain text")
                    continue
                }
                evidence.append((index, commands[mail].entry))
                add(.starttlsPolicy, required ? .fail : .pass, sessions: [index], message: nil, evidence: evidence,
                    what + (required
                        ? " and the client sent mail in plain text although TLS is required"
                        : "; the client went on in plain text (allowed: TLS is not required here)"))
                continue
            }
            guard let mail else { continue }
            let advertised = dialogue.extensions(before: commands[mail].entry)
            let offered = advertised?.keywords["STARTTLS"] != nil
            guard offered || required else { continue }
            let evidence = [(index, advertised?.reply.entries[0]), (index, Optional(commands[mail].entry))]
            let what = offered ? "STARTTLS was offered and the client did not use it" : "the host offered no STARTTLS"
            add(.starttlsPolicy, required ? .fail : .pass, sessions: [index], message: nil, evidence: evidence,
                what + (required ? "; it sent mail in plain text although TLS is required" : "; mail went in plain text"))
        }
    }
}
