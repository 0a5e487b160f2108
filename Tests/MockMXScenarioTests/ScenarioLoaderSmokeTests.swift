import MockMXScenario
import SMTPProtocol
import Testing

@Test func hostAndRulesLoad() throws {
    let scenario = try loadScenario("""
        host:
          hostname: mx.remote.test
        rules:
          - on: xexch50.blob
            do: withhold
        """, file: "withheld.yaml")
    #expect(scenario.name == "withheld.yaml")
    #expect(scenario.host.hostname == "mx.remote.test")
    #expect(scenario.seed == 1)
    #expect(scenario.rules.count == 1)
    #expect(scenario.rules[0].event == "xexch50.blob")
    #expect(scenario.rules[0].location == "withheld.yaml:4:5")
    #expect(scenario.rules[0].actions == [.withhold])
}
