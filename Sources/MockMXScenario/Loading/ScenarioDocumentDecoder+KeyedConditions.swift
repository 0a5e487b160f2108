internal import Yams

/// `sender:`, `recipient:`, `greylist:` and `limit:` in `when:`: conditions on the envelope and on state
/// kept across sessions.
extension ScenarioDocumentDecoder {
    static let greylistKeys = ["key", "delay", "expire"]
    static let rateLimitKeys = ["key", "max", "window"]

    /// Events inside a mail transaction, where a sender is known (on `mail`, the one being given).
    static let eventsWithSender: Set<String> = [
        ScenarioEvent.mail, ScenarioEvent.rcpt, ScenarioEvent.data, ScenarioEvent.dataEnd, ScenarioEvent.dataBytes,
        ScenarioEvent.bdatChunk, ScenarioEvent.bdatLast, ScenarioEvent.xexch50, ScenarioEvent.xexch50Blob,
    ]
    /// Events where recipients are known: `rcpt` (the one being given) and those after it in the transaction.
    static let eventsWithRecipients: Set<String> = eventsWithSender.subtracting([ScenarioEvent.mail])

    mutating func decodeEnvelopeAndStateConditions(
        _ fields: MappingFields, path: String, event: String?, into conditions: inout RuleConditions
    ) {
        if let node = fields["sender"] {
            conditions.sender = envelopePattern(node, path: "\(path).sender", event: event,
                                                allowed: Self.eventsWithSender, what: "sender")
        }
        if let node = fields["recipient"] {
            conditions.recipient = envelopePattern(node, path: "\(path).recipient", event: event,
                                                   allowed: Self.eventsWithRecipients, what: "recipients")
        }
        if let node = fields["greylist"] {
            conditions.greylist = greylist(node, path: "\(path).greylist", event: event)
        }
        if let node = fields["limit"] {
            conditions.limit = limit(node, path: "\(path).limit", event: event)
        }
    }

    private mutating func envelopePattern(
        _ node: Node, path: String, event: String?, allowed: Set<String>, what: String
    ) -> RulePattern? {
        if let event, !allowed.contains(event) {
            let events = Self.list(ScenarioEvent.known.filter(allowed.contains), conjunction: "or")
            report(node, path: path, "'\(event)' has no \(what) to match; use it on \(events)")
            return nil
        }
        guard let source = string(node, path: path) else { return nil }
        do {
            return try RulePattern(source)
        } catch {
            report(node, path: path, "invalid regular expression '\(source)': \(error.message)")
            return nil
        }
    }

    private mutating func greylist(_ node: Node, path: String, event: String?) -> GreylistCondition? {
        guard let fields = fields(of: node, path: path, keys: Self.greylistKeys) else { return nil }
        let errorsBefore = diagnostics.count
        var condition = GreylistCondition(
            key: [.client, .sender, .recipient], delayMilliseconds: GreylistCondition.defaultDelayMilliseconds,
            expireMilliseconds: GreylistCondition.defaultExpireMilliseconds)
        if let node = fields["key"] {
            condition.key = stateKey(node, path: "\(path).key", event: event) ?? []
        } else if let event, event != ScenarioEvent.rcpt {
            report(node, path: path, "the default key (client, sender, recipient) needs 'on: rcpt'; "
                       + "on '\(event)' give a 'key:' such as 'key: client'")
        }
        if let node = fields["delay"] {
            condition.delayMilliseconds = longDuration(node, path: "\(path).delay", minimum: 0) ?? 0
        }
        if let node = fields["expire"] {
            condition.expireMilliseconds = longDuration(node, path: "\(path).expire", minimum: 1) ?? 0
        }
        if diagnostics.count == errorsBefore, condition.expireMilliseconds < condition.delayMilliseconds {
            report(fields["expire"] ?? node, path: "\(path).expire",
                   "expire must not be shorter than delay, or no retry could ever pass")
        }
        return diagnostics.count == errorsBefore ? condition : nil
    }

    private mutating func limit(_ node: Node, path: String, event: String?) -> RateLimitCondition? {
        guard let fields = fields(of: node, path: path, keys: Self.rateLimitKeys) else { return nil }
        let errorsBefore = diagnostics.count
        var condition = RateLimitCondition(key: [.client], maximum: 1, windowMilliseconds: nil)
        if let node = fields["key"] {
            condition.key = stateKey(node, path: "\(path).key", event: event) ?? []
        }
        if let node = fields["max"] {
            let maximum = integer(node, path: "\(path).max", minimum: 1) ?? 1
            if maximum > RateLimitCondition.maximumLimit {
                report(node, path: "\(path).max", "must be at most \(RateLimitCondition.maximumLimit), found \(maximum)")
            }
            condition.maximum = maximum
        } else {
            report(node, path: path, "missing key 'max' (how many events per key get through, e.g. 'max: 5')")
        }
        if let node = fields["window"] {
            condition.windowMilliseconds = longDuration(node, path: "\(path).window", minimum: 1)
        }
        return diagnostics.count == errorsBefore ? condition : nil
    }

    /// `client` or a list such as `[client, sender, recipient]`; each part must be known at the rule's event.
    private mutating func stateKey(_ node: Node, path: String, event: String?) -> [StateKeyPart]? {
        var items: [(node: Node, path: String)] = []
        if case let .sequence(sequence) = node {
            items = sequence.enumerated().map { ($1, "\(path)[\($0)]") }
            if items.isEmpty {
                report(node, path: path, "expected at least one key part, e.g. 'key: [client, sender, recipient]'")
                return nil
            }
        } else {
            items = [(node, path)]
        }
        var parts: [StateKeyPart] = []
        for item in items {
            guard let part = enumeration(item.node, path: item.path, as: StateKeyPart.self) else { continue }
            if parts.contains(part) {
                report(item.node, path: item.path, "'\(part.rawValue)' is already part of the key")
                continue
            }
            if let event, let problem = Self.whyUnknown(part, at: event) {
                report(item.node, path: item.path, problem)
                continue
            }
            parts.append(part)
        }
        return parts.count == items.count ? parts : nil
    }

    private static func whyUnknown(_ part: StateKeyPart, at event: String) -> String? {
        switch part {
        case .client: return nil
        case .helo:
            return event == ScenarioEvent.connect ? "no HELO/EHLO name is known yet at 'connect'" : nil
        case .sender:
            return eventsWithSender.contains(event) ? nil : "'\(event)' has no sender; key on it from 'mail' on"
        case .recipient, .recipientDomain:
            return event == ScenarioEvent.rcpt ? nil : "'\(part.rawValue)' is known only on 'rcpt', not '\(event)'"
        }
    }

    /// A duration as elsewhere (`ms`, `s`, `m`) or, for state kept for hours and days, `h` and `d`.
    private mutating func longDuration(_ node: Node, path: String, minimum: Int) -> Int? {
        guard case let .scalar(scalar) = node, !isNull(node) else {
            return milliseconds(node, path: path, minimum: minimum)
        }
        let text = scalar.string.trimmingASCIIWhitespace
        let unit: Int? = text.hasSuffix("h") ? 3_600_000 : text.hasSuffix("d") ? 86_400_000 : nil
        guard let unit else { return milliseconds(node, path: path, minimum: minimum) }
        guard let count = ScalarSyntax.integer(String(text.dropLast())), count >= 0, count <= 36_500 else {
            report(node, path: path, "expected a duration such as 5m, 4h or 35d, found '\(scalar.string)'")
            return nil
        }
        guard count * unit >= minimum else {
            report(node, path: path, "must be at least \(minimum)ms, found '\(scalar.string)'")
            return nil
        }
        return count * unit
    }
}
