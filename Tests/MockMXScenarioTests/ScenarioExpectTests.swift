import MockMXScenario
import Testing

/// `expect:`: what the verdicts hold the sender to, validated like every other section.
@Suite struct ScenarioExpectTests {
    @Test func readsTLSRetryWindowAndPatience() throws {
        let scenario = try loadScenario("expect:\n  tls: required\n  retry-within: 30m\n  patience: 10m\n")
        #expect(scenario.expect == ScenarioExpectations(
            tlsRequired: true, retryWithinMilliseconds: 1_800_000, patienceMilliseconds: 600_000))
        #expect(try loadScenario("summary: x\n").expect.isEmpty)
        #expect(try loadScenario("expect:\n").expect.isEmpty)
        #expect(try loadScenario("expect: {tls: optional}\n").expect.tlsRequired == false)
    }

    @Test func aFileExtendingAnotherKeepsWhatItDoesNotSay() throws {
        let scenario = try loadScenario("extends: greylist\nexpect: {retry-within: 15m}\n")
        #expect(scenario.expect.retryWithinMilliseconds == 900_000)
        #expect(scenario.rules.isEmpty == false)
    }

    @Test func everyMistakeIsLocated() {
        let yaml = """
            expect:
              tls: requird
              retry-within: soon
              patiense: 5m
              patience: 0s
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:8: error: expect.tls: unknown value 'requird' (did you mean 'required'?); expected required or optional",
            "test.yaml:3:17: error: expect.retry-within: expected a duration such as 500ms, 2s or 5m, found 'soon'",
            "test.yaml:4:3: error: expect.patiense: unknown key 'patiense' (did you mean 'patience'?)",
            "test.yaml:5:13: error: expect.patience: must be at least 1ms, found '0s'",
        ])
        #expect(renderedErrors("expect: [tls]\n") == [
            "test.yaml:1:9: error: expect: expected a mapping with keys tls, retry-within and patience, found a list",
        ])
    }
}
