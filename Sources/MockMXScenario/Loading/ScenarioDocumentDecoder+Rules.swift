internal import Yams
import SMTPProtocol

extension ScenarioDocumentDecoder {
    mutating func decodeRules(_ node: Node) -> [Rule] {
        if isNull(node) { return [] }
        guard case let .sequence(sequence) = node else {
            report(node, path: "rules", "expected a list of rules, found \(describe(node))")
            return []
        }
        return sequence.enumerated().compactMap { index, item in decodeRule(item, index: index) }
    }

    private mutating func decodeRule(_ node: Node, index: Int) -> Rule? {
        let path = "rules[\(index)]"
        guard let fields = fields(of: node, path: path, keys: Self.ruleKeys) else { return nil }
        let location = "\(file):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)"

        var name: String?
        if let node = fields["name"] {
            name = ruleName(node, path: "\(path).name", index: index)
        }
        var event: String?
        if let node = fields["on"] {
            event = decodeEvent(node, path: "\(path).on")
        } else {
            report(node, path: path, "missing key 'on' (the event this rule handles, e.g. 'on: rcpt')")
        }
        var conditions = RuleConditions()
        var areConditionsValid = true
        if let node = fields["when"] {
            if let decoded = decodeConditions(node, path: "\(path).when", event: event) {
                conditions = decoded
            } else {
                areConditionsValid = false
            }
        }
        if event == ScenarioEvent.dataBytes, areConditionsValid, conditions.bytes == nil {
            report(fields["on"] ?? node, path: "\(path).on",
                   "'on: data.bytes' needs a threshold: 'when: {bytes: N}'")
            areConditionsValid = false
        }
        var actions: [RuleAction]?
        if let node = fields["do"] {
            actions = decodeActions(node, path: "\(path).do", event: event)
        } else {
            report(node, path: path, "missing key 'do' (what to do, e.g. 'do: withhold')")
        }
        if let actions, areConditionsValid, conditions.greylist == nil, conditions.limit == nil,
           actions.contains(where: \.mentionsRemaining) {
            report(fields["do"] ?? node, path: "\(path).do",
                   "'{remaining}' is the time left of a 'greylist:' or 'limit:' condition, which this rule does not have")
            return nil
        }
        guard let event, let actions, areConditionsValid else { return nil }
        return Rule(
            index: index, location: location, name: name, event: event, conditions: conditions, actions: actions
        )
    }

    /// A name goes into log lines and metric labels, where a line break would forge a line of its own.
    private mutating func ruleName(_ node: Node, path: String, index: Int) -> String? {
        guard let name = string(node, path: path) else { return nil }
        if name.isEmpty {
            report(node, path: path,
                   "a rule's name cannot be empty; leave 'name' out to have the rule called 'rule \(index)'")
            return nil
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            report(node, path: path, "a rule's name is one line without control characters")
            return nil
        }
        return name
    }

    // MARK: - Events

    private mutating func decodeEvent(_ node: Node, path: String) -> String? {
        if case .mapping = node { return decodeCustomVerb(node, path: path) }
        guard let text = string(node, path: path) else { return nil }
        let name = text.lowercased()
        if ScenarioEvent.known.contains(name) { return name }
        if name == "bdat" {
            report(node, path: path, "BDAT is answered after its chunk: use 'bdat.chunk' or 'bdat.last'")
            return nil
        }
        // A custom verb, unless it is one or two letters off a known event (`rcpr` is a typo) or a known
        // event with something attached (`rcpt-to`, `mail from` name the command, not a verb of their own).
        let typo = Spelling.suggestion(for: name, among: ScenarioEvent.known)
        let attached = Self.knownEvent(withSomethingAttached: name)
        if Self.isVerb(name), (typo == nil && attached == nil) || ScenarioEvent.nearMissVerbs.contains(name) {
            return name
        }
        if let typo {
            report(node, path: path, "unknown event '\(text)' (did you mean '\(typo)'?)")
        } else if let attached {
            let explicit = Self.isVerb(name) ? "; for a custom verb of that name write 'on: {verb: \(text)}'" : ""
            report(node, path: path, "unknown event '\(text)' (did you mean '\(attached)'?)\(explicit)")
        } else {
            let events = Self.list(ScenarioEvent.known, conjunction: "or")
            report(node, path: path, "unknown event '\(text)'; expected \(events), or a command verb")
        }
        return nil
    }

    /// `on: {verb: RCPT-TO}`: a custom verb said to be one, for a name otherwise taken for a typo or for a
    /// known event with something attached.
    private mutating func decodeCustomVerb(_ node: Node, path: String) -> String? {
        guard let fields = fields(of: node, path: path, keys: Self.customVerbKeys) else { return nil }
        guard let verbNode = fields["verb"] else {
            report(node, path: path, "missing key 'verb' (the custom command's verb, e.g. 'on: {verb: XCLIENT}')")
            return nil
        }
        let verbPath = "\(path).verb"
        guard let text = string(verbNode, path: verbPath) else { return nil }
        let name = text.lowercased()
        if name == "bdat" {
            report(verbNode, path: verbPath, "BDAT is answered after its chunk: use 'bdat.chunk' or 'bdat.last'")
            return nil
        }
        if ScenarioEvent.known.contains(name) {
            report(verbNode, path: verbPath, "'\(text)' is an event of its own, not a custom verb; write 'on: \(name)'")
            return nil
        }
        guard Self.isVerb(name) else {
            report(verbNode, path: verbPath,
                   "a verb is letters, digits and '-', starting with a letter; found '\(text)'")
            return nil
        }
        return name
    }

    /// The known event `name` starts with when a separator follows it (`rcpt-to`, `mail_from`, `ehlo name`),
    /// the longest if several do.
    private static func knownEvent(withSomethingAttached name: String) -> String? {
        let separators: Set<Character> = ["-", "_", " ", ".", ":"]
        return ScenarioEvent.known
            .filter { name.hasPrefix($0) && name.dropFirst($0.count).first.map(separators.contains) == true }
            .max { $0.count < $1.count }
    }

    // MARK: - Conditions

    private mutating func decodeConditions(_ node: Node, path: String, event: String?) -> RuleConditions? {
        guard let fields = fields(of: node, path: path, keys: Self.conditionKeys) else { return nil }
        let errorsBefore = diagnostics.count
        var conditions = RuleConditions()
        if let node = fields["args"] {
            conditions.arguments = pattern(node, path: "\(path).args")
            if let event, ScenarioEvent.withoutArguments.contains(event) {
                report(node, path: "\(path).args", "'\(event)' has no command arguments to match")
            }
        }
        if let node = fields["helo"] {
            conditions.helo = pattern(node, path: "\(path).helo")
            if event == ScenarioEvent.connect {
                report(node, path: "\(path).helo", "no HELO/EHLO name is known yet at 'connect'")
            }
        }
        if let node = fields["session"] {
            conditions.session = sessionSelector(node, path: "\(path).session")
        }
        if let node = fields["nth"] {
            conditions.nth = integer(node, path: "\(path).nth", minimum: 1)
        }
        if let node = fields["nth-in-message"] {
            conditions.nthInMessage = integer(node, path: "\(path).nth-in-message", minimum: 1)
        }
        if let node = fields["message"] {
            conditions.message = integer(node, path: "\(path).message", minimum: 1)
        }
        if let node = fields["times"] {
            conditions.times = integer(node, path: "\(path).times", minimum: 1)
        }
        if let node = fields["chance"] {
            conditions.chance = chance(node, path: "\(path).chance")
        }
        if let node = fields["client"] {
            conditions.client = addressRanges(node, path: "\(path).client")
        }
        if let node = fields["bytes"] {
            conditions.bytes = integer(node, path: "\(path).bytes", minimum: 1)
            if let event, event != ScenarioEvent.dataBytes {
                report(node, path: "\(path).bytes", "'bytes' only applies to 'on: data.bytes', not '\(event)'")
            }
        }
        decodeEnvelopeAndStateConditions(fields, path: path, event: event, into: &conditions)
        return diagnostics.count == errorsBefore ? conditions : nil
    }

    private mutating func pattern(_ node: Node, path: String) -> RulePattern? {
        guard let source = string(node, path: path) else { return nil }
        do {
            return try RulePattern(source)
        } catch {
            report(node, path: path, "invalid regular expression '\(source)': \(error.message)")
            return nil
        }
    }

    /// `1`, `[1, 2]`, `"3+"`, or a list mixing numbers and `"N+"`.
    private mutating func sessionSelector(_ node: Node, path: String) -> SessionSelector? {
        let expectation = "expected a session number, a list of them, or \"N+\" for session N onwards"
        var selector = SessionSelector()
        var items: [(node: Node, path: String)] = []
        switch node {
        case let .sequence(sequence):
            items = sequence.enumerated().map { ($1, "\(path)[\($0)]") }
            if items.isEmpty {
                report(node, path: path, "\(expectation), found an empty list")
                return nil
            }
        case .scalar:
            items = [(node, path)]
        default:
            report(node, path: path, "\(expectation), found \(describe(node))")
            return nil
        }
        var isValid = true
        for item in items {
            guard case let .scalar(scalar) = item.node, !isNull(item.node) else {
                report(item.node, path: item.path, "\(expectation), found \(describe(item.node))")
                isValid = false
                continue
            }
            let text = scalar.string.trimmingASCIIWhitespace
            let isOpenEnded = text.hasSuffix("+")
            guard let number = ScalarSyntax.integer(isOpenEnded ? String(text.dropLast()) : text) else {
                report(item.node, path: item.path, "\(expectation), found '\(scalar.string)'")
                isValid = false
                continue
            }
            guard number >= 1 else {
                report(item.node, path: item.path, "sessions are numbered from 1, found \(number)")
                isValid = false
                continue
            }
            if isOpenEnded {
                selector.from = min(selector.from ?? number, number)
            } else {
                selector.numbers.append(number)
            }
        }
        return isValid ? selector : nil
    }

    /// `0.25` or `"25%"`.
    private mutating func chance(_ node: Node, path: String) -> Double? {
        guard case let .scalar(scalar) = node, !isNull(node) else {
            report(node, path: path, "expected a probability such as 0.25 or 25%, found \(describe(node))")
            return nil
        }
        let text = scalar.string.trimmingASCIIWhitespace
        let value: Double?
        if text.hasSuffix("%") {
            value = Double(text.dropLast()).map { $0 / 100 }
        } else {
            value = Double(text)
        }
        guard let value, value.isFinite else {
            report(node, path: path, "expected a probability such as 0.25 or 25%, found '\(scalar.string)'")
            return nil
        }
        guard (0...1).contains(value) else {
            report(node, path: path, "chance must be between 0 and 1, found \(scalar.string)")
            return nil
        }
        return value
    }

    private mutating func addressRanges(_ node: Node, path: String) -> [AddressRange]? {
        var items: [(value: String, node: Node, path: String)] = []
        if case .sequence = node {
            guard let list = stringList(node, path: path) else { return nil }
            items = list.enumerated().map { ($1.value, $1.node, "\(path)[\($0)]") }
            if items.isEmpty {
                report(node, path: path, "expected at least one address range")
                return nil
            }
        } else {
            guard let value = string(node, path: path) else { return nil }
            items = [(value, node, path)]
        }
        var ranges: [AddressRange] = []
        for item in items {
            if let range = AddressRange(item.value.trimmingASCIIWhitespace) {
                ranges.append(range)
            } else {
                report(item.node, path: item.path,
                       "not an address range: '\(item.value)' (expected e.g. 127.0.0.0/8, ::1/128 or 192.0.2.7)")
            }
        }
        return ranges.count == items.count ? ranges : nil
    }

    // MARK: - Actions

    private mutating func decodeActions(_ node: Node, path: String, event: String?) -> [RuleAction]? {
        var items: [(node: Node, path: String)] = []
        if case let .sequence(sequence) = node {
            items = sequence.enumerated().map { ($1, "\(path)[\($0)]") }
        } else if !isNull(node) {
            items = [(node, path)]
        }
        guard !items.isEmpty else {
            report(node, path: path, "no actions; write at least one (e.g. 'do: default')")
            return nil
        }
        var actions: [RuleAction] = []
        for item in items {
            guard let action = decodeAction(item.node, path: item.path) else { continue }
            if event == ScenarioEvent.tls, let reason = Self.whyNotBeforeAHandshake(action) {
                report(item.node, path: item.path, reason)
                continue
            }
            if action == .dropMessage, let event, event != ScenarioEvent.dataEnd, event != ScenarioEvent.bdatLast {
                report(item.node, path: item.path,
                       "'drop-message' applies only to 'data.end' and 'bdat.last', not '\(event)'")
                continue
            }
            actions.append(action)
        }
        return actions.count == items.count ? actions : nil
    }

    /// `tls` fires after the `220` to STARTTLS is on the wire: no reply is proposed or sent there, so only the
    /// actions that act on the connection mean something. A rule that would be ignored is refused instead.
    private static func whyNotBeforeAHandshake(_ action: RuleAction) -> String? {
        let name: String
        switch action {
        case .delay, .withhold, .stall, .close, .reset, .raw: return nil
        case .reply: name = "reply"
        case .useDefault: name = "default"
        case .trickle: name = "trickle"
        case .truncate: name = "truncate"
        case .dropMessage: name = "drop-message"
        }
        return "'\(name)' cannot apply on tls: it runs after the 220 to STARTTLS, where no reply is sent; "
            + "use delay, withhold, stall, close, reset or raw there (to answer STARTTLS itself, e.g. with 454, "
            + "write the rule 'on: starttls')"
    }

    private mutating func decodeAction(_ node: Node, path: String) -> RuleAction? {
        switch node {
        case let .scalar(scalar) where !isNull(node):
            return bareAction(scalar.string, node: node, path: path)
        case let .mapping(mapping):
            guard mapping.count == 1, let (keyNode, value) = mapping.first, case let .scalar(keyScalar) = keyNode else {
                let keys = Array(mapping.keys).map { describe($0) }.joined(separator: ", ")
                report(node, path: path, "an action is a single key, found \(mapping.count) (\(keys)); "
                           + "write each action as its own list item")
                return nil
            }
            let name = keyScalar.string
            let valuePath = "\(path).\(name)"
            if Self.bareActions.contains(name) {
                guard isNull(value) else {
                    report(value, path: valuePath, "'\(name)' takes no value; write it as a bare word")
                    return nil
                }
                return bareAction(name, node: keyNode, path: path)
            }
            return valuedAction(name, keyNode: keyNode, value: value, path: valuePath)
        default:
            report(node, path: path, "expected an action such as 'withhold' or 'delay: 2s', found \(describe(node))")
            return nil
        }
    }

    private mutating func bareAction(_ name: String, node: Node, path: String) -> RuleAction? {
        switch name {
        case "default": return .useDefault
        case "withhold": return .withhold
        case "stall": return .stall
        case "close": return .close
        case "reset": return .reset
        case "drop-message": return .dropMessage
        default:
            if let example = Self.valuedActionExamples[name] {
                report(node, path: path, "'\(name)' needs a value, e.g. '\(example)'")
            } else {
                reportUnknownAction(name, node: node, path: path)
            }
            return nil
        }
    }

    private mutating func valuedAction(_ name: String, keyNode: Node, value: Node, path: String) -> RuleAction? {
        switch name {
        case "reply":
            return reply(value, path: path).map(RuleAction.reply)
        case "delay":
            return milliseconds(value, path: path, minimum: 0).map { RuleAction.delay(milliseconds: $0) }
        case "trickle":
            return milliseconds(value, path: path, minimum: 1).map { RuleAction.trickle(milliseconds: $0) }
        case "truncate":
            return integer(value, path: path, minimum: 1).map { RuleAction.truncate(bytes: $0) }
        case "raw":
            return rawBytes(value, path: path).map(RuleAction.raw)
        default:
            reportUnknownAction(name, node: keyNode, path: path)
            return nil
        }
    }

    private mutating func reportUnknownAction(_ name: String, node: Node, path: String) {
        let names = Self.bareActions + Self.valuedActions
        let hint = Spelling.didYouMean(name, among: names)
        let alternatives = hint.isEmpty ? "; expected \(Self.list(names, conjunction: "or"))" : hint
        report(node, path: path, "unknown action '\(name)'\(alternatives)")
    }

    private static let valuedActionExamples = [
        "reply": "reply: 250 2.0.0 Ok",
        "delay": "delay: 2s",
        "trickle": "trickle: 500ms",
        "truncate": "truncate: 5",
        "raw": #"raw: "250 OK\n""#,
    ]

    private mutating func rawBytes(_ node: Node, path: String) -> [UInt8]? {
        guard case let .scalar(scalar) = node, !isNull(node) else {
            report(node, path: path, "expected a string of bytes, found \(describe(node))")
            return nil
        }
        switch ScalarSyntax.rawBytes(scalar.string, latin1: scalar.style == .doubleQuoted) {
        case let .failure(error):
            report(node, path: path, error.message)
            return nil
        case let .success(bytes):
            guard !bytes.isEmpty else {
                report(node, path: path, "raw needs at least one byte (use withhold to send nothing)")
                return nil
            }
            return bytes
        }
    }
}
