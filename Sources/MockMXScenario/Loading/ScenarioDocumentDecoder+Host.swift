internal import Yams
import SMTPProtocol

extension ScenarioDocumentDecoder {
    /// `base` is the scenario named by `extends:`; keys this file gives replace the base's.
    mutating func decodeHost(_ node: Node, base: Scenario?) -> (SMTPServerConfiguration, ScenarioTimeouts, TLSSettings) {
        let defaults = base?.host ?? SMTPServerConfiguration()
        var timeouts = base?.timeouts ?? ScenarioTimeouts()
        var tls = base?.tls ?? TLSSettings()
        guard let fields = fields(of: node, path: "host", keys: Self.hostKeys) else {
            return (defaults, timeouts, tls)
        }

        var hostname = defaults.hostname
        if let node = fields["hostname"], let value = string(node, path: "host.hostname") {
            if value.isEmpty || value.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
                report(node, path: "host.hostname", "a hostname is one word with no spaces or control characters, found '\(value)'")
            } else {
                hostname = value
            }
        }

        var limits = defaults.limits
        var isMessageSizeGiven = false
        if let node = fields["limits"],
           let limitFields = self.fields(of: node, path: "host.limits", keys: Self.limitKeys) {
            if let node = limitFields["message-size"] {
                isMessageSizeGiven = true
                limits.messageSize = integer(node, path: "host.limits.message-size", minimum: 1) ?? limits.messageSize
            }
            if let node = limitFields["recipients"] {
                limits.recipients = integer(node, path: "host.limits.recipients", minimum: 1) ?? limits.recipients
            }
            if let node = limitFields["line-length"] {
                limits.commandLineLength = integer(node, path: "host.limits.line-length", minimum: 1)
                    ?? limits.commandLineLength
            }
        }

        var extensions = base?.host.extensions
        if let node = fields["extensions"] {
            extensions = decodeExtensions(node)
        }
        // A scenario that advertises `SIZE n` means n: enforcing another limit would contradict the EHLO reply.
        if !isMessageSizeGiven, let size = extensions.flatMap(Self.advertisedSize) {
            limits.messageSize = size
        }

        var greeting = base?.host.greeting ?? Self.defaultGreeting
        if let node = fields["greeting"] {
            greeting = reply(node, path: "host.greeting", isGreeting: true) ?? greeting
        }

        var configuration = SMTPServerConfiguration(
            hostname: hostname,
            greeting: greeting,
            extensions: extensions,
            limits: limits,
            lineEndings: defaults.lineEndings,
            pipelining: defaults.pipelining,
            auth: defaults.auth,
            requireTLS: defaults.requireTLS
        )
        if let node = fields["line-endings"] {
            configuration.lineEndings = enumeration(node, path: "host.line-endings", as: LineEndingMode.self)
                ?? configuration.lineEndings
        }
        if let node = fields["pipelining"] {
            configuration.pipelining = enumeration(node, path: "host.pipelining", as: PipeliningMode.self)
                ?? configuration.pipelining
        }
        if let node = fields["timeouts"],
           let timeoutFields = self.fields(of: node, path: "host.timeouts", keys: Self.timeoutKeys) {
            if let node = timeoutFields["idle"] {
                timeouts.idleMilliseconds = milliseconds(node, path: "host.timeouts.idle", minimum: 1)
                    ?? timeouts.idleMilliseconds
            }
            if let node = timeoutFields["hold"] {
                timeouts.holdMilliseconds = milliseconds(node, path: "host.timeouts.hold", minimum: 1)
                    ?? timeouts.holdMilliseconds
            }
        }
        if let node = fields["tls"] {
            (tls, configuration.requireTLS) = decodeTLS(node)
        }
        if let node = fields["auth"] {
            configuration.auth = decodeAuth(node)
        }
        return (configuration, timeouts, tls)
    }

    private mutating func decodeExtensions(_ node: Node) -> [String]? {
        guard let items = stringList(node, path: "host.extensions") else { return nil }
        var isValid = true
        for (index, item) in items.enumerated()
        where item.value.isEmpty || item.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            report(item.node, path: "host.extensions[\(index)]",
                   "an EHLO keyword line cannot be empty or contain CR/LF")
            isValid = false
        }
        return isValid ? items.map(\.value) : nil
    }

    /// `n` of the first `SIZE n` keyword, when n is a positive number (`SIZE 0` means "no fixed limit",
    /// RFC 1870 §4, and leaves the default in force).
    private static func advertisedSize(_ extensions: [String]) -> Int? {
        for keyword in extensions {
            let parts = keyword.split(separator: " ")
            guard parts.count == 2, parts[0].uppercased() == "SIZE" else { continue }
            if let size = Int(parts[1]), size > 0 { return size }
        }
        return nil
    }

    /// A reply from a string or a list of lines, `{hostname}` left for ``fillingInPlaceholders(of:)``. A
    /// string may hold several lines (a YAML block scalar). A greeting may leave out the code (it is then
    /// 220) and must be 2xx, 4xx or 5xx; other replies must start with a code in 200...599.
    mutating func reply(_ node: Node, path: String, isGreeting: Bool = false) -> SMTPReply? {
        var lines: [(text: String, node: Node, path: String)] = []
        switch node {
        case .sequence:
            guard let items = stringList(node, path: path) else { return nil }
            for (index, item) in items.enumerated() {
                lines += Self.splitLines(item.value).map { ($0, item.node, "\(path)[\(index)]") }
            }
        default:
            guard let text = string(node, path: path) else { return nil }
            lines = Self.splitLines(text).map { ($0, node, path) }
        }
        guard !lines.isEmpty else {
            report(node, path: path, "a reply needs at least one line")
            return nil
        }
        var isValid = true
        for line in lines where line.text.unicodeScalars.contains("\r") {
            report(line.node, path: line.path, "a reply line cannot contain CR; use raw: to send malformed replies")
            isValid = false
        }
        let code: Int
        if let leading = SMTPReply.leadingCode(lines[0].text) {
            code = leading
        } else if isGreeting {
            code = 220
            lines[0].text = "220 " + lines[0].text
        } else {
            report(lines[0].node, path: lines[0].path,
                   "a reply starts with a three-digit code, e.g. '250 2.0.0 Ok', found '\(lines[0].text)'")
            return nil
        }
        guard (200...599).contains(code) else {
            report(lines[0].node, path: lines[0].path, "reply code \(code) is outside 200-599")
            return nil
        }
        if isGreeting, code / 100 == 3 {
            report(lines[0].node, path: lines[0].path, "a greeting's code must be 2xx, 4xx or 5xx, found \(code)")
            return nil
        }
        for (index, line) in lines.enumerated().dropFirst() {
            if let lineCode = SMTPReply.leadingCode(line.text), lineCode != code {
                report(line.node, path: line.path,
                       "line \(index + 1) starts with code \(lineCode) but the reply's code is \(code); "
                           + "every line of a multi-line reply has the same code")
                isValid = false
            }
        }
        guard isValid else { return nil }
        return SMTPReply(text: lines.map(\.text))
    }

    /// Lines of a scalar; the newline that ends a YAML block scalar does not start another line.
    private static func splitLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        return lines
    }

    mutating func decodeSeed(_ node: Node) -> UInt64? {
        if case let .scalar(scalar) = node {
            let digits = scalar.string.trimmingASCIIWhitespace.filter { $0 != "_" }
            if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seed = UInt64(digits) {
                return seed
            }
        }
        report(node, path: "seed", "expected a whole number from 0 to \(UInt64.max), found \(describe(node))")
        return nil
    }
}
