import MockMXScenario
import SMTPProtocol
import Synchronization
import Testing

/// Rules with `greylist:`, `limit:`, `sender:` and `recipient:` decided by the engine on a clock the test moves.
@Suite struct StatefulRuleTests {
    private final class ManualClock: Sendable {
        let now = Atomic<Int64>(0)
        func advance(_ milliseconds: Int64) { now.add(milliseconds, ordering: .relaxed) }
    }

    private func engine(_ scenario: Scenario, _ clock: ManualClock, scale: Double = 1) -> ScenarioEngine {
        ScenarioEngine(scenario: scenario, clock: ScenarioClock(scale: scale) { clock.now.load(ordering: .relaxed) })
    }

    private func rcpt(_ recipient: String, from sender: String = "s@a.test", client: String = "192.0.2.1")
        -> RuleEventContext {
        RuleEventContext(event: "rcpt", arguments: Array("TO:<\(recipient)>".utf8), clientAddress: client,
                         sender: Array(sender.utf8))
    }

    private func replyText(_ rule: Rule?) -> String? {
        guard case let .reply(reply)? = rule?.actions.first else { return nil }
        return reply.lines.joined(separator: "\n")
    }

    @Test func bundledGreylistRefusesATripletForFiveMinutesAndSaysHowLongIsLeft() throws {
        let clock = ManualClock()
        let engine = engine(try ScenarioLoader.resolve("greylist"), clock)
        #expect(engine.usesEnvelope)
        #expect(replyText(engine.match(rcpt("r@b.test"))) == "4.7.1 Greylisted, please come back in 00:05:00")
        clock.advance(61_000)
        #expect(replyText(engine.match(rcpt("r@b.test"))) == "4.7.1 Greylisted, please come back in 00:03:59")
        // Another sender from the same client, or the same sender from another client, is a new triplet.
        #expect(replyText(engine.match(rcpt("r@b.test", from: "t@a.test"))) != nil)
        #expect(replyText(engine.match(rcpt("r@b.test", client: "192.0.2.2"))) != nil)
        clock.advance(239_000)
        #expect(engine.match(rcpt("r@b.test")) == nil)
        #expect(engine.match(rcpt("r@b.test")) == nil)
        #expect(engine.stateDescriptions().map(\.status) == ["passed", "greylisted", "greylisted"])
        engine.reset()
        #expect(engine.stateDescriptions().isEmpty)
        #expect(engine.match(rcpt("r@b.test")) != nil)
    }

    @Test func aScaledClockKeepsNominalTimesInTheReply() throws {
        let clock = ManualClock()
        let engine = engine(try ScenarioLoader.resolve("greylist"), clock, scale: 0.01)
        #expect(replyText(engine.match(rcpt("r@b.test")))?.hasSuffix("00:05:00") == true)
        clock.advance(1_500)
        #expect(replyText(engine.match(rcpt("r@b.test")))?.hasSuffix("00:02:30") == true)
        clock.advance(1_500)
        #expect(engine.match(rcpt("r@b.test")) == nil)
        #expect(engine.idleTimeoutMilliseconds == 3_000)
    }

    @Test func stateDescriptionsShowTheTripletAndItsRemainingTime() throws {
        let clock = ManualClock()
        let engine = engine(try ScenarioLoader.resolve("greylist"), clock)
        _ = engine.match(rcpt("r@b.test"))
        clock.advance(100_000)
        let state = engine.stateDescriptions()
        #expect(state.count == 1)
        #expect(state.first?.key == ["client": "192.0.2.1", "sender": "s@a.test", "recipient": "r@b.test"])
        #expect(state.first?.kind == "greylist")
        #expect(state.first?.remainingMilliseconds == 200_000)
        #expect(state.first?.rule.hasPrefix("greylisted triplet (greylist.yaml:") == true)
    }

    @Test func bundledRateLimitedSlidesItsWindowPerClient() throws {
        let clock = ManualClock()
        let engine = engine(try ScenarioLoader.resolve("rate-limited"), clock)
        let mail = RuleEventContext(event: "mail", arguments: Array("FROM:<s@a.test>".utf8), clientAddress: "192.0.2.1")
        for _ in 0..<5 {
            #expect(engine.match(mail) == nil)
            clock.advance(1_000)
        }
        #expect(replyText(engine.match(mail))?.hasPrefix("4.7.0 mx.rate-limited.test Error: too many messages") == true)
        var other = mail
        other.clientAddress = "192.0.2.2"
        #expect(engine.match(other) == nil)
        clock.advance(55_000)
        #expect(engine.match(mail) == nil)
        #expect(engine.match(mail) != nil)
    }

    @Test func bundledMailboxFullRefusesTheFourthMessageToOneRecipient() throws {
        let engine = engine(try ScenarioLoader.resolve("mailbox-full"), ManualClock())
        for _ in 0..<3 { #expect(engine.match(rcpt("full@b.test")) == nil) }
        #expect(replyText(engine.match(rcpt("full@b.test"))) == "4.2.2 Mailbox full")
        #expect(engine.match(rcpt("other@b.test")) == nil)
    }

    @Test func envelopeConditionsLookAtTheTransactionOnLaterEvents() throws {
        let scenario = try loadScenario("""
            rules:
              - {on: data, when: {recipient: '@drop\\.test$'}, do: [reply: 354 go ahead, close]}
              - {on: data.end, when: {recipient: '^bounce\\+'}, do: {reply: 550 5.1.1 no}}
              - {on: data.end, when: {sender: '@slow\\.test$'}, do: {delay: 30s}}
              - {on: mail, when: {sender: '^$'}, do: {reply: 550 5.7.1 no null sender}}
            """)
        let engine = engine(scenario, ManualClock())
        #expect(engine.usesEnvelope)
        func at(_ event: String, sender: String = "s@a.test", recipients: [String]) -> Int? {
            let context = RuleEventContext(event: event, sender: Array(sender.utf8), recipients: recipients.map { Array($0.utf8) })
            return engine.match(context).map(\.index)
        }
        #expect(at("data", recipients: ["a@ok.test", "b@drop.test"]) == 0)
        #expect(at("data", recipients: ["a@ok.test"]) == nil)
        #expect(at("data.end", recipients: ["bounce+7@x.test"]) == 1)
        #expect(at("data.end", sender: "me@slow.test", recipients: ["a@ok.test"]) == 2)
        #expect(at("data.end", recipients: ["a@ok.test"]) == nil)
        #expect(engine.match(RuleEventContext(event: "mail", arguments: Array("FROM:<>".utf8)))?.index == 3)
        #expect(engine.match(RuleEventContext(event: "mail", arguments: Array("FROM:<a@b.test>".utf8))) == nil)
    }

    @Test func scenariosWithoutStateOrEnvelopeRulesDoNotAskForTheEnvelope() throws {
        #expect(!ScenarioEngine(scenario: .defaultPersona).usesEnvelope)
        #expect(!ScenarioEngine(scenario: try ScenarioLoader.resolve("tarpit")).usesEnvelope)
        let byClient = try loadScenario("rules: [{on: connect, when: {limit: {key: client, max: 2, window: 1m}}, do: close}]")
        #expect(!ScenarioEngine(scenario: byClient).usesEnvelope)
    }

    @Test func aConnectionLimitCountsConnectionsPerClient() throws {
        let scenario = try loadScenario("""
            rules:
              - on: connect
                when: {limit: {key: client, max: 2, window: 10s}}
                do: {reply: "421 4.7.0 too many connections, come back in {remaining}"}
            """)
        let clock = ManualClock()
        let engine = engine(scenario, clock)
        let connect = RuleEventContext(event: "connect")
        #expect(engine.match(connect) == nil)
        #expect(engine.match(connect) == nil)
        clock.advance(2_500)
        #expect(replyText(engine.match(connect)) == "4.7.0 too many connections, come back in 00:00:08")
    }

    @Test func recipientDomainKeysIgnoreCase() throws {
        let scenario = try loadScenario("""
            rules: [{on: rcpt, when: {limit: {key: recipient-domain, max: 1}}, do: {reply: 452 4.5.3 enough}}]
            """)
        let engine = engine(scenario, ManualClock())
        #expect(engine.match(rcpt("a@Example.TEST")) == nil)
        #expect(engine.match(rcpt("b@example.test")) != nil)
        #expect(engine.stateDescriptions().first?.key == ["recipient-domain": "example.test"])
    }

    @Test func beyondTheCapacityKeysAreEvictedAndReported() throws {
        var evicted = 0
        let engine = ScenarioEngine(scenario: try ScenarioLoader.resolve("greylist"), clock: ScenarioClock { 0 },
                                    stateCapacity: 3)
        engine.onEviction = { evicted += 1 }
        for index in 0..<5 { _ = engine.match(rcpt("r\(index)@b.test")) }
        #expect(engine.stateKeyCount == 3)
        #expect(evicted == 2)
    }
}
