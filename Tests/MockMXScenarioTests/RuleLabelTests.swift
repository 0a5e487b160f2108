import MockMXScenario
import Testing

/// How a rule is named wherever it is reported (CONVENTIONS.md, "Rule labels").
@Suite struct RuleLabelTests {
    @Test func aNamedRuleIsLabelledByItsNameAndAnUnnamedOneByItsPosition() throws {
        let scenario = try loadScenario("""
            rules:
              - name: greylisted on first contact
                on: rcpt
                do: default
              - on: mail
                do: default
            """, file: "mine.yaml")
        #expect(scenario.rules[0].label == "greylisted on first contact (mine.yaml:2:5)")
        #expect(scenario.rules[0].metricLabel == "greylisted on first contact")
        #expect(scenario.rules[1].label == "rule 1 (mine.yaml:5:5)")
        #expect(scenario.rules[1].metricLabel == "rule 1")
    }

    @Test func aBundledRuleCarriesItsNameAndFile() throws {
        let rule = try ScenarioLoader.resolve("greylist").rules[0]
        #expect(rule.label == "greylisted triplet (greylist.yaml:13:5)")
        #expect(rule.metricLabel == "greylisted triplet")
    }

    @Test func aRuleBuiltInCodeIsLabelledTheSameWay() {
        let unnamed = Rule(index: 3, location: "<code>:1:1", event: "rcpt", actions: [.close])
        #expect(unnamed.label == "rule 3 (<code>:1:1)")
        #expect(unnamed.metricLabel == "rule 3")
        let named = Rule(index: 3, location: "<code>:1:1", name: "slow", event: "rcpt", actions: [.close])
        #expect(named.label == "slow (<code>:1:1)")
        #expect(named.metricLabel == "slow")
    }

    /// A name ends up in log lines and metric labels: a line break in it would forge a log line.
    @Test func aNameIsOneNonEmptyLine() {
        let yaml = """
            rules:
              - {name: "", on: rcpt, do: default}
              - {name: "first\\nsecond", on: rcpt, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:12: error: rules[0].name: a rule's name cannot be empty; leave 'name' out to have the rule "
                + "called 'rule 0'",
            "test.yaml:3:12: error: rules[1].name: a rule's name is one line without control characters",
        ])
    }
}
