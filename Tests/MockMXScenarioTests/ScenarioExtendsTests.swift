import MockMXScenario
import SMTPProtocol
import Testing

@Suite struct ScenarioExtendsTests {
    @Test func aScenarioStartsFromABundledOneAndOverridesWhatItGives() throws {
        let exchange = try ScenarioLoader.resolve("exchange-2003")
        let scenario = try ScenarioLoader.load(yaml: """
            extends: exchange-2003
            host:
              timeouts: {hold: 1m}
              limits: {recipients: 5}
            rules:
              - {on: xexch50.blob, do: withhold}
            """, file: "mine.yaml")
        #expect(scenario.name == "mine.yaml")
        #expect(scenario.host.extensions == exchange.host.extensions)
        #expect(scenario.host.greeting == exchange.host.greeting)
        #expect(scenario.host.hostname == "exchange2003.remote.test")
        #expect(scenario.host.limits.recipients == 5)
        #expect(scenario.timeouts.holdMilliseconds == 60_000)
        #expect(scenario.rules.map(\.event) == ["xexch50.blob"])
    }

    @Test func ownRulesComeBeforeInheritedOnes() throws {
        let scenario = try ScenarioLoader.load(yaml: """
            extends: greylist
            rules:
              - {on: rcpt, when: {args: "vip"}, do: default}
            """, file: "vip.yaml")
        #expect(scenario.rules.map(\.event) == ["rcpt", "rcpt"])
        #expect(scenario.rules.map(\.index) == [0, 1])
        #expect(scenario.rules[1].location.hasPrefix("greylist.yaml:"))
    }

    @Test func anUnknownBaseIsReportedWithASuggestion() {
        #expect(throws: ScenarioLoadError.self) { try ScenarioLoader.load(yaml: "extends: greylst\n", file: "x.yaml") }
        do {
            _ = try ScenarioLoader.load(yaml: "extends: greylst\n", file: "x.yaml")
        } catch {
            #expect(error.description == "x.yaml:1:10: error: extends: unknown bundled scenario 'greylst' (did you mean 'greylist'?)")
        }
    }
}
