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

    @Test func placeholdersAreFilledInWithTheHostnameAfterTheMerge() throws {
        // greylist gives no greeting: the default one names the host, so it must name the new one.
        let greylist = try ScenarioLoader.load(yaml: """
            extends: greylist
            host: {hostname: ext.test}
            """, file: "ext.yaml")
        #expect(greylist.host.hostname == "ext.test")
        #expect(greylist.host.greeting == SMTPReply(220, nil, "ext.test ESMTP mockmx"))

        let exchange = try ScenarioLoader.load(yaml: """
            extends: exchange-2003
            host: {hostname: ext.test}
            """, file: "ext.yaml")
        #expect(exchange.host.greeting.lines.first?.hasPrefix("ext.test Microsoft ESMTP MAIL Service") == true)

        // Rule replies of the base name the new host too.
        let rateLimited = try ScenarioLoader.load(yaml: """
            extends: rate-limited
            host: {hostname: ext.test}
            """, file: "ext.yaml")
        #expect(rateLimited.rules[0].actions.first == .reply(SMTPReply(
            code: 421, lines: ["4.7.0 ext.test Error: too many messages from this client, try again in {remaining}"])))
    }

    @Test func aBasesHostnameStillFillsThePlaceholdersOfTheExtendingFile() throws {
        let scenario = try ScenarioLoader.load(yaml: """
            extends: greylist
            host: {greeting: "220 {hostname} own greeting"}
            rules:
              - {on: mail, do: {reply: "451 4.3.0 {hostname} busy"}}
            """, file: "ext.yaml")
        #expect(scenario.host.greeting == SMTPReply(code: 220, lines: ["mx.greylist.test own greeting"]))
        #expect(scenario.rules[0].actions == [.reply(SMTPReply(code: 451, lines: ["4.3.0 mx.greylist.test busy"]))])
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
