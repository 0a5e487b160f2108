@testable import MockMXScenario
import Testing

/// Findings of FuzzScenarioLoader (issue 8), pinned as plain tests.
@Suite struct HardeningScenarioTests {
    /// libyaml counts a lone CR as a line break (YAML 1.1 §5.4), so locations in a file with old Mac line
    /// ends are right for YAML even where a LF-only count would be lower. The fuzzer's first "finding".
    @Test func diagnosticsCountLoneCarriageReturnsAsLineBreaks() {
        #expect(renderedErrors("summary: x\rhost:\r  hostnme: a\r") == [
            "test.yaml:3:3: error: host.hostnme: unknown key 'hostnme' (did you mean 'hostname'?)",
        ])
    }

    /// A hostname is "one word": the greeting, the EHLO reply and error texts carry it, so a TAB (found by
    /// the fuzzer in a plain scalar), a NUL or an escape sequence must not reach the wire.
    @Test(arguments: [#"mx\tremote.test"#, #"mx\0.test"#, #"mx\e[31m.test"#, #"mx\x7F.test"#])
    func hostnameWithAControlCharacterIsRefused(_ escapedHostname: String) {
        let yaml = "host:\n  hostname: \"\(escapedHostname)\"\n"
        #expect(renderedErrors(yaml).count == 1, "\(yaml)")
    }

    /// Billion laughs in a mapping key, a fuzzer finding: each level aliases the one before ten times and
    /// `? *a6` makes the 10⁶-node result a key. Yams hashes every mapping key in full, so this took 6 s
    /// (debug) per 400 bytes, on the loop thread when sent to the control API. The loader refuses it from
    /// the text, before Yams expands anything, at the alias where the budget runs out.
    @Test func billionLaughsInAMappingKeyIsRefusedBeforeComposing() {
        let errors = renderedErrors(Self.laughs(levels: 6) + "? *a6\n: 1\n")
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.hasPrefix("test.yaml:6:") == true, "\(errors)")
        #expect(errors.first?.contains("aliases expand beyond 1 MiB at '*a4'") == true, "\(errors)")
    }

    /// Anchors as people use them (one reply text reused by many rules, an anchor redefined) stay far
    /// below the budget, and the aliases still mean what YAML says.
    @Test func ordinaryAnchorsAndAliasesLoad() throws {
        var yaml = "rules:\n  - on: mail\n    do:\n      reply: &busy \"451 4.3.2 Busy, try later\"\n"
        for _ in 0..<200 { yaml += "  - on: rcpt\n    do:\n      reply: *busy\n" }
        yaml += "  - on: data\n    do:\n      reply: &busy \"554 5.7.1 Rejected\"\n"
        yaml += "  - on: bdat.last\n    do:\n      reply: *busy\n"
        #expect(renderedErrors(yaml) == [])
        let scenario = try ScenarioLoader.load(yaml: yaml, file: "test.yaml")
        #expect(scenario.rules.count == 203)
        #expect("\(scenario.rules[1].actions)".contains("451"))
        #expect("\(scenario.rules[202].actions)".contains("554"))
    }

    /// Four levels of ten (10⁴ copies of a ten-item list, about 0.3 MB) is within the budget: the bound
    /// only refuses what is actually large.
    @Test func nestedAliasesWithinTheBudgetLoad() {
        let errors = renderedErrors(Self.laughs(levels: 4))
        #expect(errors.allSatisfy { $0.contains("unknown key") }, "\(errors)")
    }

    /// `a0` is a list of ten scalars; each `aN` lists ten aliases of `aN-1`.
    private static func laughs(levels: Int) -> String {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...levels {
            let aliases = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(aliases)]\n"
        }
        return yaml
    }
}

/// A fuzzer finding: glibc's `regcomp` is exponential in stacked repetition operators, which POSIX leaves
/// undefined anyway, so a pattern with them is refused with the rule's location instead of compiled.
@Suite struct StackedRepetitionTests {
    @Test func stackedRepetitionIsRefusedAtItsRule() {
        let plus = String(repeating: "+", count: 30)
        let yaml = "rules:\n  - on: rcpt\n    when: {args: '(?i)^TO: ?<later[^@>]*\(plus)@'}\n    do: {reply: '450 later'}\n"
        let errors = renderedErrors(yaml)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("rules[0].when.args") == true, "\(errors)")
        #expect(errors.first?.contains("repetition operators in a row ('*+')") == true, "\(errors)")
    }

    @Test(arguments: ["a*+", "a++", "x?*", "a{2}{3}", "a+{2}", "(b*)*+", "[a]*?"])
    func stackedOperatorsAreFound(_ pattern: String) {
        #expect(RulePattern.stackedRepetition(in: Array(pattern.utf8)) != nil, "\(pattern)")
    }

    /// Operators that only look stacked: escaped, inside a bracket expression, or separated by a group.
    @Test(arguments: ["a*", "(a*)+", "a\\*+", "[*+]+", "[]*]+", "[[:alpha:]*]?", "a{2}b+", "\\{2}{3}", "a*b+c?", "x{,}"])
    func singleOperatorsAreAccepted(_ pattern: String) throws {
        #expect(RulePattern.stackedRepetition(in: Array(pattern.utf8)) == nil, "\(pattern)")
    }
}
