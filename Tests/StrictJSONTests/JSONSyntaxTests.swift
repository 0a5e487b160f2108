import StrictJSON
import Testing

/// RFC 8259 and nothing more, with the place to fix named by line and column.
@Suite struct JSONSyntaxTests {
    private func problem(_ text: String) -> String? {
        JSONSyntax.problem(in: Array(text.utf8)).map { "\($0.line):\($0.column): \($0.message)" }
    }

    @Test func acceptsEveryKindOfValueAtTheTopWithWhitespaceAround() {
        for text in [#" {"a": [1, -0.5e+3, true, false, null, "\u00e9\n"]} "#, "[]", "{}", "0", #""x""#, "null\r\n"] {
            #expect(problem(text) == nil, "\(text)")
        }
    }

    @Test func refusesWhatYAMLAndLaxParsersForgiveAtThePlaceToFix() {
        #expect(problem("{\n  \"a\": 1,\n}") == "2:9: a trailing comma before '}'")
        #expect(problem("[1,]") == "1:3: a trailing comma before ']'")
        #expect(problem("{'a': 1}") == "1:2: expected a key in double quotes, found '''")
        #expect(problem("[01]") == "1:3: a number must not start with 0 followed by digits")
        #expect(problem("{} {}") == "1:4: '{' after the JSON value")
        #expect(problem("\"a\tb\"") == "1:3: control character U+0009 in a string; escape it")
        #expect(problem("") == "1:1: expected a value, found the end of the body")
    }

    /// RFC 8259 leaves them to each parser, and Foundation's refuses them (found by FuzzJSONSyntax).
    @Test func refusesUnpairedSurrogateEscapes() {
        #expect(problem(#"["\ud83d\ude00"]"#) == nil)
        #expect(problem(#"["\ud83d"]"#) == "1:3: a high surrogate escape without its low surrogate")
        #expect(problem(#"["\ud83d\n"]"#) == "1:3: a high surrogate escape without its low surrogate")
        #expect(problem(#"["\ud83d\u00e9"]"#) == "1:3: a high surrogate escape without its low surrogate")
        #expect(problem(#"["\ude00"]"#) == "1:3: a low surrogate escape without a high surrogate before it")
        #expect(problem(#"["\ud83d\u12"]"#) == #"1:9: '\u' needs four hexadecimal digits"#)
    }

    /// Columns count Unicode scalars, as the scenario diagnostics do: `é` is one column, not two bytes.
    @Test func columnsCountScalarsNotBytes() {
        #expect(problem(#"{"é": 1,}"#) == "1:8: a trailing comma before '}'")
    }

    @Test func nestingStopsAtTheLimitInsteadOfRecursingOn() {
        let limit = JSONSyntax.maxDepth
        #expect(problem(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)) == nil)
        let deeper = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(problem(deeper) == "1:\(limit + 1): nested deeper than \(limit) levels")
    }
}
