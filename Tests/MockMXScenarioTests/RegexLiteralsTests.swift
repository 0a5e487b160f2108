#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import MockMXScenario
import Testing

/// The literal prefilter of ``RulePattern``: what it extracts, and that matching with it decides exactly
/// as plain `regexec` on a C string.
@Suite struct RegexLiteralsTests {
    private struct Extracted: Equatable, CustomStringConvertible {
        var required: [String]
        var anchoredAtStart = false
        var anchoredAtEnd = false
        var whole = false

        var description: String { "\(required) start: \(anchoredAtStart) end: \(anchoredAtEnd) whole: \(whole)" }
    }

    private func extract(_ expression: String, ignoringCase: Bool = false) -> Extracted {
        let literals = RegexLiterals(expression: Array(expression.utf8), ignoringCase: ignoringCase)
        return Extracted(
            required: literals.required.map { String(decoding: $0, as: UTF8.self) },
            anchoredAtStart: literals.firstIsAnchoredAtStart,
            anchoredAtEnd: literals.lastIsAnchoredAtEnd,
            whole: literals.isWholeExpression
        )
    }

    @Test func theBenchmarkPatterns() {
        #expect(extract("^TO: ?<(bounce|unknown|later)-00[^@>]*@", ignoringCase: true)
            == Extracted(required: ["to:", "<", "-00", "@"], anchoredAtStart: true))
        #expect(extract("^FROM: ?<spammer-00@[a-z.]+>", ignoringCase: true)
            == Extracted(required: ["from:", "<spammer-00@", ">"], anchoredAtStart: true))
        #expect(extract("^(blocked|bad)-0\\.example$") == Extracted(required: ["-0.example"], anchoredAtEnd: true))
        #expect(extract("^tarpit-0\\.example$")
            == Extracted(required: ["tarpit-0.example"], anchoredAtStart: true, anchoredAtEnd: true, whole: true))
    }

    @Test func aPlainLiteralIsTheWholeExpression() {
        #expect(extract("bounce@") == Extracted(required: ["bounce@"], whole: true))
        #expect(extract("^exchange") == Extracted(required: ["exchange"], anchoredAtStart: true, whole: true))
        #expect(extract("evil>$") == Extracted(required: ["evil>"], anchoredAtEnd: true, whole: true))
        #expect(extract("Mixed", ignoringCase: true) == Extracted(required: ["mixed"], whole: true))
    }

    @Test func alternationAtTheTopLevelGivesNothing() {
        #expect(extract("a|b") == Extracted(required: []))
        #expect(extract("^abc(d|e)f|g") == Extracted(required: []))
        #expect(extract("abc(d|e)f") == Extracted(required: ["abc", "f"]))
    }

    @Test func quantifiersDropOrSplit() {
        #expect(extract("ab*c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab?c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab{1,2}c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab{,2}c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab+c") == Extracted(required: ["ab", "c"]))
        // `+` then `*` or `?` makes the character optional after all.
        #expect(extract("ab+*c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab+?c") == Extracted(required: ["a", "c"]))
        #expect(extract("ab++c") == Extracted(required: ["ab", "c"]))
        #expect(extract("^a*bc") == Extracted(required: ["bc"]))
        #expect(extract("^a+bc") == Extracted(required: ["a", "bc"], anchoredAtStart: true))
        #expect(extract("abc*$") == Extracted(required: ["ab"]))
        #expect(extract("abc+$") == Extracted(required: ["abc"]))
        // Not an interval, or nothing to repeat: regcomp refuses these; nothing is extracted.
        #expect(extract("ab{x}c") == Extracted(required: []))
        #expect(extract("ab{}c") == Extracted(required: []))
        #expect(extract("ab{1") == Extracted(required: []))
        #expect(extract("*ab") == Extracted(required: []))
        #expect(extract("^*ab") == Extracted(required: []))
    }

    @Test func dotsGroupsAndBracketsSplit() {
        #expect(extract("a.b[xy]c(d)e") == Extracted(required: ["a", "b", "c", "e"]))
        #expect(extract("a(b(c)d)*e") == Extracted(required: ["a", "e"]))
        #expect(extract("a(b[)]c)d") == Extracted(required: ["a", "d"]))
        #expect(extract("a(b\\)c)d") == Extracted(required: ["a", "d"]))
        #expect(extract("a(b") == Extracted(required: []))
        // An unmatched `)` is an ordinary character to glibc; it only splits.
        #expect(extract("a)b") == Extracted(required: ["a", "b"]))
    }

    @Test func bracketExpressionsEndWhereGlibcEndsThem() {
        #expect(extract("x[]a]y") == Extracted(required: ["x", "y"]))
        #expect(extract("x[^]a]y") == Extracted(required: ["x", "y"]))
        #expect(extract("x[[:alpha:]]y") == Extracted(required: ["x", "y"]))
        #expect(extract("x[[.-.]]y") == Extracted(required: ["x", "y"]))
        #expect(extract("x[[=a=]]y") == Extracted(required: ["x", "y"]))
        #expect(extract("x[[:]:]]y") == Extracted(required: ["x", "y"]))
        // A backslash is an ordinary member: `[\]` is one bracket expression, the last `]` is literal.
        #expect(extract("x[\\]y]") == Extracted(required: ["x", "y"]))
        #expect(extract("x[ab") == Extracted(required: []))
        #expect(extract("x[[:alpha]y") == Extracted(required: []))
    }

    @Test func escapes() {
        #expect(extract("a\\.b") == Extracted(required: ["a.b"], whole: true))
        #expect(extract("\\(a\\)\\|\\*\\\\") == Extracted(required: ["(a)|*\\"], whole: true))
        #expect(extract("\\^a\\$") == Extracted(required: ["^a$"], whole: true))
        // GNU classes, word anchors, buffer anchors and back-references only split.
        #expect(extract("a\\wb") == Extracted(required: ["a", "b"]))
        #expect(extract("a\\<b\\>c") == Extracted(required: ["a", "b", "c"]))
        #expect(extract("a\\`b\\'") == Extracted(required: ["a", "b"]))
        #expect(extract("(a)\\1b") == Extracted(required: ["b"]))
        #expect(extract("a\\") == Extracted(required: []))
    }

    @Test func anchorsOnlyAtTheEnds() {
        #expect(extract("a^b") == Extracted(required: []))
        #expect(extract("a$b") == Extracted(required: []))
        #expect(extract("^$") == Extracted(required: []))
        #expect(extract("^") == Extracted(required: []))
        #expect(extract("") == Extracted(required: []))
        #expect(extract("^(a)bc$") == Extracted(required: ["bc"], anchoredAtEnd: true))
        #expect(extract("^ab(c)$") == Extracted(required: ["ab"], anchoredAtStart: true))
    }

    @Test func onlyASCIIBytesAreLiterals() {
        #expect(extract("caf\u{E9}s") == Extracted(required: ["caf", "s"]))
        #expect(extract("\\\u{E9}x") == Extracted(required: ["x"]))
    }

    @Test func theWholeExpressionDecidesWithoutRegexec() throws {
        let exact = try RulePattern("(?i)^tarpit-0\\.example$")
        #expect(exact.matches(Array(ascii: "TARPIT-0.Example")))
        #expect(!exact.matches(Array(ascii: "tarpit-0.example.")))
        #expect(!exact.matches(Array(ascii: "tarpit-0xexample")))
        #expect(!exact.matches([]))
        let anywhere = try RulePattern("bounce@")
        #expect(anywhere.matches(Array(ascii: "TO:<bounce@x>")))
        #expect(!anywhere.matches(Array(ascii: "TO:<Bounce@x>")))
        #expect(!anywhere.matches(Array(ascii: "TO:<bounce") + [0] + Array(ascii: "@x>")))
    }

    @Test func anEmptySubjectStillReachesRegexec() throws {
        #expect(try RulePattern("^$").matches([]))
        #expect(try RulePattern("").matches([]))
        #expect(!(try RulePattern("^.$").matches([])))
        #expect(try RulePattern("^$").matches([0, 0x61]))
    }

    @Test func theSubjectIsTheArrayNotWhatFollowsItInMemory() throws {
        // Removing the last element leaves "d" in the storage right after the subject "abc": regexec
        // must stop at the array's count, not read on to a NUL.
        var subject = Array(ascii: "abcd")
        subject.removeLast()
        #expect(try RulePattern("^ab.$").matches(subject))
        #expect(!(try RulePattern("[d]").matches(subject)))
        #expect(!(try RulePattern("c.").matches(subject)))
    }

    /// Random patterns from ERE pieces against random subjects, many built from the pattern's own
    /// characters so that matches happen: `matches` must always agree with plain `regexec` on a
    /// NUL-terminated copy.
    @Test func matchesAgreesWithRegexecOnRandomPatterns() throws {
        let pieces = [
            "a", "b", "c", "A", "B", "x", "-", "@", ":", " ", "<", ">", "0", "\u{E9}", "a+", "B+", "x*", "c?",
            ".", "*", "+", "?", "{1,2}", "{2}", "{,1}", "[a-c]", "[^x]", "[]a]", "[[:alpha:]]", "(a|b)", "(ab)+",
            "^", "$", "\\.", "\\(", "\\\\", "\\w", "\\<", "\\'", "|", ")", "}", "]",
        ]
        let subjectBytes = Array(ascii: "abcABx-@:<>.( 0") + [0, 0xC3, 0xA9]
        var generator = ScenarioRandomGenerator(seed: 2024)
        var compiled = 0
        var prefiltered = 0
        var decidedByLiterals = 0
        var comparisons = 0
        var matched = 0
        while compiled < 3000 {
            var source = Bool.random(using: &generator) ? "(?i)" : ""
            // Anchors where they mean something more often than the pieces alone would put them there.
            if Int.random(in: 0..<3, using: &generator) == 0 { source += "^" }
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                source += pieces.randomElement(using: &generator)!
            }
            if Int.random(in: 0..<3, using: &generator) == 0 { source += "$" }
            let reference = ReferenceRegex(source)
            let pattern = try? RulePattern(source)
            // Refused on purpose: stacked repetition operators (see StackedRepetitionTests).
            let stacked = RulePattern.stackedRepetition(in: Array(source.utf8.dropFirst(source.hasPrefix("(?i)") ? 4 : 0)))
            #expect((pattern == nil) == (reference == nil || stacked != nil), "compiles the same: \(source)")
            guard let pattern, let reference else { continue }
            compiled += 1
            let expression = Array(source.utf8.dropFirst(pattern.isCaseInsensitive ? 4 : 0))
            let literals = RegexLiterals(expression: expression, ignoringCase: pattern.isCaseInsensitive)
            if !literals.required.isEmpty { prefiltered += 1 }
            if literals.isWholeExpression { decidedByLiterals += 1 }
            let ownBytes = expression.filter { !Array(ascii: "\\^$.|?*+()[]{}").contains($0) }
            for _ in 0..<24 {
                var subject: [UInt8] = []
                if Bool.random(using: &generator) {
                    for _ in 0..<Int.random(in: 0...10, using: &generator) {
                        subject.append(subjectBytes.randomElement(using: &generator)!)
                    }
                } else {
                    for _ in 0..<Int.random(in: 0...2, using: &generator) {
                        subject.append(subjectBytes.randomElement(using: &generator)!)
                    }
                    for byte in ownBytes where Int.random(in: 0..<10, using: &generator) < 9 {
                        let isLetter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                        let flipped = isLetter && Int.random(in: 0..<4, using: &generator) == 0
                        subject.append(flipped ? byte ^ 0x20 : byte)
                        for _ in 0..<(Int.random(in: 0..<3, using: &generator) == 0 ? 2 : 0) { subject.append(byte) }
                        if Int.random(in: 0..<10, using: &generator) == 0 {
                            subject.append(subjectBytes.randomElement(using: &generator)!)
                        }
                    }
                }
                let expected = reference.matches(subject)
                #expect(pattern.matches(subject) == expected, "\(source) on \(subject)")
                comparisons += 1
                if expected { matched += 1 }
            }
        }
        // The generator must exercise both outcomes and the prefilter, not only regexec.
        #expect(matched > comparisons / 10 && matched < comparisons * 9 / 10)
        #expect(prefiltered > compiled / 4)
        #expect(decidedByLiterals > compiled / 50)
    }
}

/// `regcomp`/`regexec` as ``RulePattern`` used them before the prefilter: on a NUL-terminated copy.
private final class ReferenceRegex {
    private let regex: UnsafeMutablePointer<regex_t>

    init?(_ source: String) {
        let ignoresCase = source.hasPrefix("(?i)")
        let expression = ignoresCase ? String(source.dropFirst(4)) : source
        let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        guard regcomp(regex, expression, REG_EXTENDED | REG_NOSUB | (ignoresCase ? REG_ICASE : 0)) == 0 else {
            regex.deallocate()
            return nil
        }
        self.regex = regex
    }

    deinit {
        regfree(regex)
        regex.deallocate()
    }

    func matches(_ bytes: [UInt8]) -> Bool {
        let terminated = bytes.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } + [0]
        return regexec(regex, terminated, 0, nil, 0) == 0
    }
}
