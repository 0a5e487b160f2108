internal import Yams

/// How to write a backslash that YAML refused in double quotes.
///
/// A regular expression in double quotes (`"@foo\.test"`) is the usual cause: YAML reads `\.` as an
/// escape it does not know and stops the whole document there, hiding every other problem in it, so the
/// message says how to write it instead.
extension ScenarioDocumentDecoder {
    /// libyaml's problem text for a backslash in double quotes that starts no escape.
    static let unknownEscapeProblem = "found unknown escape character"

    /// The escapes YAML 1.1 knows after a backslash in double quotes (§5.6).
    private static let yamlEscapes: Set<Unicode.Scalar> = [
        "0", "a", "b", "t", "\t", "n", "v", "f", "r", "e", " ", "\"", "/", "\\", "N", "_", "L", "P", "x", "u", "U",
    ]

    /// ` '\.'` naming the escape, and the advice: double the backslash or use single quotes, with the
    /// single-quoted text when it means what was meant, that is when the string has no escape YAML knows.
    static func unknownEscapeHint(escapeAt mark: Mark, quotedScalarAt start: Mark?, in yaml: String)
        -> (escape: String, advice: String)
    {
        let scalars = Array(yaml.unicodeScalars)
        guard let index = scalarIndex(line: mark.line, column: mark.column, in: scalars), scalars[index] == "\\",
              index + 1 < scalars.count, !isLineBreak(scalars[index + 1])
        else { return ("", "; in double quotes a backslash starts an escape: double it, or use single quotes") }
        let escape = "\\" + String(scalars[index + 1])
        var advice = "; in double quotes a backslash starts an escape: write it doubled ('\\\(escape)') "
            + "or put the text in single quotes"
        if let start, let text = quotedText(at: start, in: scalars) {
            advice += " ('\(text)')"
        }
        return (" '\(escape)'", advice)
    }

    /// The text between the double quotes that open at `start`, as written, when it is on one line and
    /// means the same in single quotes: no escape YAML knows, no single quote.
    private static func quotedText(at start: Mark, in scalars: [Unicode.Scalar]) -> String? {
        guard let open = scalarIndex(line: start.line, column: start.column, in: scalars), scalars[open] == "\""
        else { return nil }
        var text = String.UnicodeScalarView()
        var index = open + 1
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\"" { return String(text) }
            if scalar == "'" || isLineBreak(scalar) { return nil }
            if scalar == "\\" {
                guard index + 1 < scalars.count, !yamlEscapes.contains(scalars[index + 1]) else { return nil }
                text.append(scalar)
                index += 1
            }
            text.append(scalars[index])
            index += 1
        }
        return nil
    }

    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar)
    }
}
