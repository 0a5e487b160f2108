internal import Yams
import SMTPProtocol

/// Turns a composed YAML tree into a ``Scenario``, collecting every problem with its location instead of
/// stopping at the first.
///
/// Walks `Yams.Node` by hand rather than using `Decodable`: `DecodingError` carries no line and column,
/// and Yams silently ignores unknown keys, so neither typos nor their positions could be reported.
/// Each `decode…` method reports what is wrong with its node and returns nil (or a default) so the walk
/// can go on and find the next problem.
struct ScenarioDocumentDecoder {
    let file: String
    private(set) var diagnostics: [ScenarioDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    static let topLevelKeys = ["summary", "extends", "host", "seed", "rules", "firewall", "dns", "expect", "upstream"]
    static let hostKeys = [
        "hostname", "greeting", "extensions", "limits", "line-endings", "pipelining", "timeouts", "tls", "auth",
    ]
    static let tlsKeys = ["certificate", "certificate-file", "key-file", "min-version", "max-version", "ciphers", "required"]
    static let authKeys = ["users", "accept-any", "require-tls"]
    static let limitKeys = ["message-size", "recipients", "line-length"]
    static let timeoutKeys = ["idle", "hold"]
    static let ruleKeys = ["name", "on", "when", "do"]
    static let customVerbKeys = ["verb"]
    static let conditionKeys = [
        "args", "helo", "session", "nth", "nth-in-message", "message", "times", "chance", "client", "bytes",
        "sender", "recipient", "greylist", "limit",
    ]
    static let bareActions = ["default", "withhold", "stall", "close", "reset", "drop-message"]
    static let valuedActions = ["reply", "delay", "trickle", "truncate", "raw"]
    static let firewallKeys = [
        "persona", "mask-banner", "allow-commands", "deny-commands", "rewrite", "mask-extensions",
        "mask-unknown-extensions", "strip-extensions", "swallow-after", "drop-split-dot", "max-command-length",
        "max-recipients",
    ]

    /// The scenario described by `yaml`; meaningful only when ``diagnostics`` is empty afterwards.
    mutating func decode(yaml: String, name: String) -> Scenario {
        Self.fillingInPlaceholders(of: decodeTemplate(yaml: yaml, name: name))
    }

    /// The scenario with its texts' placeholders as written, so that a file extending it can fill them in
    /// with its own values.
    private mutating func decodeTemplate(yaml: String, name: String) -> Scenario {
        var scenario = Scenario(name: name)
        if let alias = Self.aliasBeyondBudget(in: yaml) {
            let (line, column) = Self.position(ofByteOffset: alias.offset, in: yaml)
            let budget = Self.aliasExpansionBudget >> 20
            report(line: line, column: column, path: "", "aliases expand beyond \(budget) MiB at '\(alias.name)' (nested aliases multiply)")
            return scenario
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            reportSyntaxError(error, in: yaml)
            return scenario
        } catch {
            report(line: 0, column: 0, path: "", "cannot parse: \(error)")
            return scenario
        }
        // An empty document is the default host: every key is optional.
        guard let root, let fields = fields(of: root, path: "", keys: Self.topLevelKeys) else { return scenario }
        let base = fields["extends"].flatMap { decodeBase($0) }
        if let base {
            scenario = base
            scenario.name = name
        }
        if let node = fields["summary"] {
            scenario.summary = string(node, path: "summary")
        }
        if let node = fields["host"] {
            (scenario.host, scenario.timeouts, scenario.tls) = decodeHost(node, base: base)
            if case .mapping(let mapping) = node, mapping["extensions"] != nil { scenario.extensionsGiven = true }
        }
        if let node = fields["seed"] {
            scenario.seed = decodeSeed(node) ?? scenario.seed
        }
        if let node = fields["rules"] {
            // This file's rules come first, so they can override what the base does for the same event.
            let own = decodeRules(node)
            let inherited = (base?.rules ?? []).enumerated().map { offset, rule in
                var rule = rule
                rule.index = own.count + offset
                return rule
            }
            scenario.rules = own + inherited
        }
        if let node = fields["firewall"] {
            scenario.firewall = decodeFirewall(node)
        }
        if let node = fields["dns"] {
            scenario.dns = decodeDNS(node)
        }
        if let node = fields["expect"] {
            scenario.expect = decodeExpectations(node, base: scenario.expect)
        }
        if let node = fields["upstream"] {
            scenario.upstream = decodeUpstream(node)
        }
        diagnostics = diagnostics.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
        return scenario
    }

    /// `extends: NAME`: a bundled scenario this one starts from.
    private mutating func decodeBase(_ node: Node) -> Scenario? {
        guard let name = string(node, path: "extends") else { return nil }
        guard let bundled = BundledScenarios.all.first(where: { $0.name == name }) else {
            let names = BundledScenarios.all.map(\.name)
            report(node, path: "extends", "unknown bundled scenario '\(name)'\(Spelling.didYouMean(name, among: names))")
            return nil
        }
        var decoder = ScenarioDocumentDecoder(file: "\(name).yaml")
        let base = decoder.decodeTemplate(yaml: bundled.yaml, name: name)
        guard decoder.diagnostics.isEmpty else {
            let error = ScenarioLoadError(diagnostics: decoder.diagnostics)
            report(node, path: "extends", "bundled scenario '\(name)' does not load: \(error)")
            return nil
        }
        return base
    }

    // MARK: - Reporting

    mutating func report(_ node: Node, path: String, _ message: String) {
        report(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, path: path, message)
    }

    mutating func report(line: Int, column: Int, path: String, _ message: String) {
        diagnostics.append(ScenarioDiagnostic(file: file, line: line, column: column, path: path, message: message))
    }

    private mutating func reportSyntaxError(_ error: YamlError, in yaml: String) {
        switch error {
        case let .scanner(context, problem, mark, _) where problem == Self.unknownEscapeProblem:
            let detail = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            let hint = Self.unknownEscapeHint(escapeAt: mark, quotedScalarAt: context?.mark, in: yaml)
            report(line: mark.line, column: mark.column, path: "",
                   "invalid YAML: \(problem)\(hint.escape)\(detail)\(hint.advice)")
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let detail = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            report(line: mark.line, column: mark.column, path: "", "invalid YAML: \(problem)\(detail)")
        case let .reader(problem, offset, _, _):
            let (line, column) = offset.map { Self.position(ofByteOffset: $0, in: yaml) } ?? (0, 0)
            report(line: line, column: column, path: "", "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            reportDuplicateKeys(duplicates, at: context.mark, in: yaml)
        default:
            report(line: 0, column: 0, path: "", "invalid YAML: \(error)")
        }
    }

    private mutating func reportDuplicateKeys(_ keys: [String], at mark: Mark, in yaml: String) {
        let listed = keys.map { "'\($0)'" }.joined(separator: ", ")
        switch keys.first.map({ Self.searchRepeatedKeys(in: yaml, firstReported: $0, at: mark) }) ?? .notFound {
        case let .found(repetitions):
            for repetition in repetitions {
                let first = "\(repetition.first.line):\(repetition.first.column)"
                report(line: repetition.line, column: repetition.column, path: "",
                       "duplicate key '\(repetition.key)' (first at \(first))")
            }
        case let .stopped(error):
            report(line: mark.line, column: mark.column, path: "", "duplicate key \(listed) (given again below)")
            // The renamed text has the lines and columns of `yaml`, not its byte offsets (reader errors').
            switch error {
            case .scanner, .parser, .composer: reportSyntaxError(error, in: yaml)
            default: break
            }
        case .notFound:
            report(line: mark.line, column: mark.column, path: "", "duplicate key \(listed)")
        }
    }

    static func position(ofByteOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for (index, byte) in text.utf8.prefix(offset).enumerated() where byte == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// The index of the scalar at a 1-based line and column as libyaml counts them: CRLF, CR, LF, NEL, LS
    /// and PS each end a line, and a leading byte order mark takes no column.
    static func scalarIndex(line targetLine: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
        var line = 1
        var lineStart = scalars.first == "\u{FEFF}" ? 1 : 0
        var index = lineStart
        while line < targetLine, index < scalars.count {
            switch scalars[index] {
            case "\r" where index + 1 < scalars.count && scalars[index + 1] == "\n":
                index += 1
                fallthrough
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                line += 1
                lineStart = index + 1
            default:
                break
            }
            index += 1
        }
        let target = lineStart + column - 1
        return line == targetLine && column >= 1 && target < scalars.count ? target : nil
    }

    // MARK: - Generic node access

    /// The values of a mapping's known keys. Unknown keys are reported with a suggestion; a null node
    /// (`host:` with nothing after it) counts as an empty mapping.
    mutating func fields(of node: Node, path: String, keys: [String]) -> MappingFields? {
        if isNull(node) { return MappingFields(node: node) }
        guard case let .mapping(mapping) = node else {
            let expected = Self.list(keys, conjunction: "and")
            report(node, path: path, "expected a mapping with keys \(expected), found \(describe(node))")
            return nil
        }
        var fields = MappingFields(node: node)
        for (keyNode, value) in mapping {
            guard case let .scalar(keyScalar) = keyNode else {
                report(keyNode, path: path, "a key must be a word, found \(describe(keyNode))")
                continue
            }
            let key = keyScalar.string
            if keys.contains(key) {
                fields.values[key] = value
            } else {
                let hint = Spelling.didYouMean(key, among: keys)
                let alternatives = hint.isEmpty ? "; expected \(Self.list(keys, conjunction: "or"))" : hint
                report(keyNode, path: Self.join(path, key), "unknown key '\(key)'\(alternatives)")
            }
        }
        return fields
    }

    func isNull(_ node: Node) -> Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(scalar): return isNull(node) ? "nothing" : "'\(scalar.string)'"
        }
    }

    mutating func string(_ node: Node, path: String) -> String? {
        guard case let .scalar(scalar) = node, !isNull(node) else {
            report(node, path: path, "expected a string, found \(describe(node))")
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node, path: String, minimum: Int) -> Int? {
        guard case let .scalar(scalar) = node, let value = ScalarSyntax.integer(scalar.string) else {
            report(node, path: path, "expected an integer, found \(describe(node))")
            return nil
        }
        guard value >= minimum else {
            report(node, path: path, "must be at least \(minimum), found \(value)")
            return nil
        }
        return value
    }

    mutating func boolean(_ node: Node, path: String) -> Bool? {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else {
            report(node, path: path, "expected true or false, found \(describe(node))")
            return nil
        }
        switch scalar.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            report(node, path: path, "expected true or false, found \(describe(node))")
            return nil
        }
    }

    mutating func milliseconds(_ node: Node, path: String, minimum: Int) -> Int? {
        guard case let .scalar(scalar) = node, !isNull(node) else {
            report(node, path: path, "expected a duration such as 500ms, 2s or 5m, found \(describe(node))")
            return nil
        }
        switch ScalarSyntax.milliseconds(scalar.string) {
        case let .failure(error):
            report(node, path: path, error.message)
            return nil
        case let .success(value):
            guard value >= minimum else {
                report(node, path: path, "must be at least \(minimum)ms, found '\(scalar.string)'")
                return nil
            }
            return value
        }
    }

    /// A list of strings, each item checked; nil if the node or any item is wrong.
    mutating func stringList(_ node: Node, path: String) -> [(value: String, node: Node)]? {
        guard case let .sequence(sequence) = node else {
            report(node, path: path, "expected a list of strings, found \(describe(node))")
            return nil
        }
        var values: [(value: String, node: Node)] = []
        var isValid = true
        for (index, item) in sequence.enumerated() {
            if let value = string(item, path: "\(path)[\(index)]") {
                values.append((value, item))
            } else {
                isValid = false
            }
        }
        return isValid ? values : nil
    }

    /// One of an enumeration's raw values, with a suggestion for a near miss.
    mutating func enumeration<Value: RawRepresentable & CaseIterable>(
        _ node: Node,
        path: String,
        as type: Value.Type
    ) -> Value? where Value.RawValue == String {
        guard let text = string(node, path: path) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let names = Value.allCases.map(\.rawValue)
        let hint = Spelling.didYouMean(text, among: names)
        report(node, path: path, "unknown value '\(text)'\(hint); expected \(Self.list(names, conjunction: "or"))")
        return nil
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// `a, b or c`.
    static func list(_ words: [String], conjunction: String) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words[words.count - 1]
    }

    static func isVerb(_ text: String) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return text.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

/// The known keys of one mapping, after unknown ones were reported.
struct MappingFields {
    /// The mapping itself, for problems that belong to it as a whole (a missing key).
    let node: Node
    fileprivate(set) var values: [String: Node] = [:]

    subscript(key: String) -> Node? {
        values[key]
    }
}
