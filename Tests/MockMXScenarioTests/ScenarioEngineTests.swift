import MockMXScenario
import SMTPProtocol
import Testing

/// Rule matching: which rule decides each event, and the state kept across sessions.
@Suite struct ScenarioEngineTests {
    private func engine(_ yaml: String) throws -> ScenarioEngine {
        ScenarioEngine(scenario: try loadScenario(yaml))
    }

    private func rcpt(_ address: String, session: Int = 1, occurrence: Int = 1) -> RuleEventContext {
        RuleEventContext(event: "rcpt", arguments: Array(ascii: "TO:<\(address)>"), sessionNumber: session,
                         occurrence: occurrence)
    }

    @Test func noRulesMeansTheProtocolAnswers() {
        let engine = ScenarioEngine(scenario: .defaultPersona)
        #expect(engine.match(RuleEventContext(event: "rcpt")) == nil)
        #expect(Scenario.defaultPersona.name == "default")
        #expect(Scenario.defaultPersona.rules.isEmpty)
        #expect(Scenario.defaultPersona.seed == 1)
    }

    @Test func theFirstMatchingRuleWins() throws {
        let engine = try engine("""
            rules:
              - {on: rcpt, when: {args: "bounce@"}, do: {reply: "550 5.1.1 no such user"}}
              - {on: rcpt, do: {reply: "451 4.7.1 later"}}
              - {on: rcpt, do: close}
            """)
        #expect(engine.match(rcpt("bounce@remote.test"))?.index == 0)
        #expect(engine.match(rcpt("someone@remote.test"))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "mail")) == nil)
    }

    @Test func aRuleMatchesOnlyItsOwnEvent() throws {
        let engine = try engine("rules:\n  - {on: data, do: close}\n")
        #expect(engine.match(RuleEventContext(event: "data"))?.index == 0)
        #expect(engine.match(RuleEventContext(event: "DATA"))?.index == 0)
        #expect(engine.match(RuleEventContext(event: "data.end")) == nil)
        #expect(engine.match(RuleEventContext(event: "bdat")) == nil)
    }

    @Test func unknownMatchesEveryUnrecognizedVerbAndAVerbRuleOnlyItsVerb() throws {
        let engine = try engine("""
            rules:
              - {on: X-LINK2STATE, do: {reply: "250 2.0.0 ok"}}
              - {on: unknown, do: {reply: "502 5.5.2 no"}}
            """)
        let link2state = RuleEventContext(event: "x-link2state", isUnknownCommand: true)
        let other = RuleEventContext(event: "xshadow", isUnknownCommand: true)
        #expect(engine.match(link2state)?.index == 0)
        #expect(engine.match(other)?.index == 1)
        // A verb the protocol knows is not "unknown".
        #expect(engine.match(RuleEventContext(event: "noop")) == nil)
    }

    @Test func argumentsMatchAsAPosixRegexOnTheRawBytes() throws {
        let engine = try engine("""
            rules:
              - {on: rcpt, when: {args: "^TO:<(bounce|unknown)@"}, do: close}
              - {on: mail, when: {args: "(?i)^from:<.*@EXAMPLE\\\\.test>"}, do: close}
            """)
        #expect(engine.match(rcpt("bounce@x.test")) != nil)
        #expect(engine.match(rcpt("unknown@x.test")) != nil)
        #expect(engine.match(rcpt("Bounce@x.test")) == nil, "case-sensitive unless (?i)")
        #expect(engine.match(rcpt("a.bounce@x.test")) == nil)
        let mail = RuleEventContext(event: "mail", arguments: Array(ascii: "FROM:<a@example.test> SIZE=10"))
        #expect(engine.match(mail) != nil)
        let notDot = RuleEventContext(event: "mail", arguments: Array(ascii: "FROM:<a@exampleXtest>"))
        #expect(engine.match(notDot) == nil)
    }

    @Test func argumentsEndAtTheFirstNulByte() throws {
        let engine = try engine("rules:\n  - {on: rcpt, when: {args: \"evil>$\"}, do: close}\n")
        let smuggled = Array(ascii: "TO:<a@b>") + [0] + Array(ascii: "evil>")
        #expect(engine.match(RuleEventContext(event: "rcpt", arguments: smuggled)) == nil)
        #expect(engine.match(RuleEventContext(event: "rcpt", arguments: Array(ascii: "TO:<evil>"))) != nil)
    }

    @Test func argumentsNeedNotBeUTF8() throws {
        let pattern = try RulePattern("^TO:<.*>$")
        #expect(pattern.matches(Array(ascii: "TO:<") + [0xFF, 0xC3] + Array(ascii: ">")))
    }

    @Test func heloMatchesTheNameGivenSoFarAndNeverBeforeOne() throws {
        let engine = try engine("rules:\n  - {on: mail, when: {helo: \"^exchange\"}, do: close}\n")
        #expect(engine.match(RuleEventContext(event: "mail", helo: Array(ascii: "exchange2003.local"))) != nil)
        #expect(engine.match(RuleEventContext(event: "mail", helo: Array(ascii: "postfix.local"))) == nil)
        #expect(engine.match(RuleEventContext(event: "mail", helo: nil)) == nil)
    }

    @Test func sessionSelectsConnectionsByNumber() throws {
        let engine = try engine("""
            rules:
              - {on: connect, when: {session: 1}, do: {reply: "421 4.7.0 first"}}
              - {on: connect, when: {session: [2, 4]}, do: {reply: "421 4.7.0 second or fourth"}}
              - {on: connect, when: {session: "6+"}, do: {reply: "421 4.7.0 sixth onwards"}}
            """)
        let matches = (1...8).map { engine.match(RuleEventContext(event: "connect", sessionNumber: $0))?.index }
        #expect(matches == [0, 1, nil, 1, nil, 2, 2, 2])
    }

    @Test func nthSelectsTheOccurrenceInTheSession() throws {
        let engine = try engine("rules:\n  - {on: rcpt, when: {nth: 2}, do: {reply: \"452 4.5.3 too many\"}}\n")
        #expect(engine.match(rcpt("a@x", occurrence: 1)) == nil)
        #expect(engine.match(rcpt("b@x", occurrence: 2)) != nil)
        #expect(engine.match(rcpt("c@x", occurrence: 3)) == nil)
    }

    @Test func nthInMessageSelectsTheOccurrenceInTheMessage() throws {
        // "The second RCPT of each message gets 452."
        let engine = try engine("""
            rules:
              - {on: rcpt, when: {nth-in-message: 2}, do: {reply: "452 4.5.3 Too many recipients"}}
            """)
        let rcpts = [(1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 2, 1), (5, 2, 2)].map { occurrence, message, inMessage in
            RuleEventContext(event: "rcpt", occurrence: occurrence, messageNumber: message,
                             messageOccurrence: inMessage)
        }
        #expect(rcpts.map { engine.match($0)?.index } == [nil, 0, nil, nil, 0])
    }

    @Test func nthKeepsCountingInTheSession() throws {
        let engine = try engine("rules:\n  - {on: rcpt, when: {nth: 2}, do: close}\n")
        let secondInSessionFirstInMessage = RuleEventContext(event: "rcpt", occurrence: 2, messageNumber: 2,
                                                              messageOccurrence: 1)
        let firstInSessionSecondInMessage = RuleEventContext(event: "rcpt", occurrence: 1, messageOccurrence: 2)
        #expect(engine.match(secondInSessionFirstInMessage)?.index == 0)
        #expect(engine.match(firstInSessionSecondInMessage) == nil)
    }

    @Test func messageSelectsTheTransaction() throws {
        let engine = try engine("rules:\n  - {on: mail, when: {message: 3}, do: close}\n")
        let results = (1...4).map { engine.match(RuleEventContext(event: "mail", messageNumber: $0)) != nil }
        #expect(results == [false, false, true, false])
    }

    @Test func bytesFiresOnceTheThresholdIsReached() throws {
        let engine = try engine("""
            rules:
              - {on: data.bytes, when: {bytes: 4096}, do: reset}
              - {on: data.bytes, when: {bytes: 100}, do: stall}
            """)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 99)) == nil)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 100))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 4095))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 4096))?.index == 0)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: nil)) == nil)
    }

    @Test func clientMatchesIPv4IPv6AndMappedAddresses() throws {
        let engine = try engine("""
            rules:
              - {on: connect, when: {client: 127.0.0.0/8}, do: {reply: "554 loopback v4"}}
              - {on: connect, when: {client: ["::1/128", "2001:db8::/32"]}, do: {reply: "554 v6"}}
            """)
        func match(_ address: String) -> Int? {
            engine.match(RuleEventContext(event: "connect", clientAddress: address))?.index
        }
        #expect(match("127.0.0.1") == 0)
        #expect(match("127.255.3.4") == 0)
        #expect(match("::ffff:127.0.0.1") == 0)
        #expect(match("::1") == 1)
        #expect(match("2001:db8:1::5") == 1)
        #expect(match("192.0.2.1") == nil)
        #expect(match("2001:db9::1") == nil)
        #expect(match("not an address") == nil)
    }

    @Test func addressRangesParseAndMask() {
        #expect(AddressRange("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(AddressRange("192.0.2.7")?.description == "192.0.2.7/32")
        #expect(AddressRange("2001:db8::1/32")?.description == "2001:db8::/32")
        #expect(AddressRange("0.0.0.0/0")?.contains(address: "203.0.113.9") == true)
        #expect(AddressRange("10.0.0.0/33") == nil)
        #expect(AddressRange("10.0.0.0/") == nil)
        #expect(AddressRange("10.0.0.0/+8") == nil)
        #expect(AddressRange("example.test") == nil)
    }

    @Test func timesCountsFiringsAcrossSessionsThenNeverAgain() throws {
        let engine = try engine("rules:\n  - {on: connect, when: {times: 2}, do: {reply: \"421 4.7.0 busy\"}}\n")
        var fired: [Bool] = []
        for _ in 1...4 {
            let session = engine.beginSession()
            fired.append(engine.match(RuleEventContext(event: "connect", sessionNumber: session)) != nil)
        }
        #expect(fired == [true, true, false, false])
        #expect(engine.firingCount(ofRuleAt: 0) == 2)
    }

    @Test func timesIsConsumedOnlyWhenTheRuleFires() throws {
        let engine = try engine("""
            rules:
              - {on: rcpt, when: {times: 1, args: "greylist"}, do: {reply: "451 4.7.1 later"}}
              - {on: rcpt, do: default}
            """)
        #expect(engine.match(rcpt("a@normal.test"))?.index == 1)
        #expect(engine.match(rcpt("a@normal.test"))?.index == 1)
        #expect(engine.match(rcpt("a@greylist.test"))?.index == 0)
        #expect(engine.match(rcpt("a@greylist.test"))?.index == 1)
    }

    @Test func aRuleWhoseTimesAreUsedUpLetsTheNextRuleDecide() throws {
        let engine = try engine("""
            rules:
              - {on: mail, when: {times: 1}, do: {reply: "421 4.7.0 first"}}
              - {on: mail, when: {times: 1}, do: {reply: "421 4.7.0 second"}}
            """)
        let results = (1...3).map { _ in engine.match(RuleEventContext(event: "mail"))?.index }
        #expect(results == [0, 1, nil])
    }

    @Test func chanceIsReproducibleFromTheSeed() throws {
        func outcomes(seed: UInt64) throws -> [Bool] {
            let engine = try engine("seed: \(seed)\nrules:\n  - {on: rcpt, when: {chance: 0.5}, do: close}\n")
            return (0..<64).map { _ in engine.match(RuleEventContext(event: "rcpt")) != nil }
        }
        let first = try outcomes(seed: 42)
        #expect(first == (try outcomes(seed: 42)))
        #expect(first != (try outcomes(seed: 43)))
        // A fair coin over 64 draws: neither all heads nor all tails.
        #expect(first.contains(true) && first.contains(false))
    }

    @Test func chanceFollowsItsProbability() throws {
        let engine = try engine("seed: 7\nrules:\n  - {on: rcpt, when: {chance: 0.25}, do: close}\n")
        let fired = (0..<4000).filter { _ in engine.match(RuleEventContext(event: "rcpt")) != nil }.count
        #expect((850...1150).contains(fired))
        let never = try self.engine("rules:\n  - {on: rcpt, when: {chance: 0}, do: close}\n")
        #expect((0..<100).allSatisfy { _ in never.match(RuleEventContext(event: "rcpt")) == nil })
        let always = try self.engine("rules:\n  - {on: rcpt, when: {chance: 1}, do: close}\n")
        #expect((0..<100).allSatisfy { _ in always.match(RuleEventContext(event: "rcpt")) != nil })
    }

    @Test func chanceDrawsOnlyWhenEverythingElseHeld() throws {
        // Events that fail a cheaper condition must not advance the generator, or unrelated traffic
        // (another session's RCPTs) would change which messages fail.
        let yaml = "seed: 9\nrules:\n  - {on: rcpt, when: {session: 1, chance: 0.5}, do: close}\n"
        let quiet = try engine(yaml)
        let busy = try engine(yaml)
        var quietOutcomes: [Bool] = []
        var busyOutcomes: [Bool] = []
        for _ in 0..<32 {
            quietOutcomes.append(quiet.match(rcpt("a@x", session: 1)) != nil)
            _ = busy.match(rcpt("a@x", session: 2))
            _ = busy.match(RuleEventContext(event: "mail"))
            busyOutcomes.append(busy.match(rcpt("a@x", session: 1)) != nil)
        }
        #expect(quietOutcomes == busyOutcomes)
    }

    @Test func chanceDoesNotConsumeTimesWhenItFails() throws {
        let engine = try engine("seed: 3\nrules:\n  - {on: rcpt, when: {chance: 0.5, times: 3}, do: close}\n")
        let fired = (0..<100).filter { _ in engine.match(RuleEventContext(event: "rcpt")) != nil }.count
        #expect(fired == 3)
        #expect(engine.firingCount(ofRuleAt: 0) == 3)
    }

    @Test func sessionsAreNumberedFromOne() {
        let engine = ScenarioEngine(scenario: .defaultPersona)
        #expect(engine.beginSession() == 1)
        #expect(engine.beginSession() == 2)
        #expect(engine.beginSession() == 3)
    }

    @Test func resetRestoresCountersNumberingAndGenerator() throws {
        let engine = try engine("""
            seed: 11
            rules:
              - {on: connect, when: {times: 1}, do: {reply: "421 4.7.0 once"}}
              - {on: rcpt, when: {chance: 0.5}, do: close}
            """)
        func run() -> (sessions: [Int], connects: [Bool], draws: [Bool]) {
            let sessions = (0..<3).map { _ in engine.beginSession() }
            let connects = sessions.map { engine.match(RuleEventContext(event: "connect", sessionNumber: $0)) != nil }
            let draws = (0..<32).map { _ in engine.match(RuleEventContext(event: "rcpt")) != nil }
            return (sessions, connects, draws)
        }
        let first = run()
        #expect(first.sessions == [1, 2, 3])
        #expect(first.connects == [true, false, false])
        engine.reset()
        #expect(engine.firingCount(ofRuleAt: 0) == 0)
        let second = run()
        #expect(second.sessions == first.sessions)
        #expect(second.connects == first.connects)
        #expect(second.draws == first.draws)
    }

    @Test func aRuleThatSendsNothingIsFollowedByDefault() throws {
        let scenario = try loadScenario("""
            rules:
              - {on: mail, do: {delay: 2s}}
              - {on: rcpt, do: [{trickle: 10ms}, {truncate: 3}]}
              - {on: data.end, do: drop-message}
              - {on: data, do: [default, close]}
              - {on: quit, do: [{delay: 1s}, close]}
              - {on: rset, do: withhold}
              - {on: noop, do: stall}
              - {on: vrfy, do: reset}
              - {on: expn, do: {raw: "250 x\\r\\n"}}
              - {on: help, do: {reply: "214 2.0.0 help"}}
            """)
        #expect(scenario.rules[0].effectiveActions == [.delay(milliseconds: 2000), .useDefault])
        #expect(scenario.rules[1].effectiveActions == [.trickle(milliseconds: 10), .truncate(bytes: 3), .useDefault])
        #expect(scenario.rules[2].effectiveActions == [.dropMessage, .useDefault])
        #expect(scenario.rules[3].effectiveActions == [.useDefault, .close])
        #expect(scenario.rules[4].effectiveActions == [.delay(milliseconds: 1000), .close])
        for rule in scenario.rules[5...] {
            #expect(rule.effectiveActions == rule.actions, "rule \(rule.index) sends or ends by itself")
        }
    }

    @Test func rulesBuiltInCodeMatchToo() throws {
        let rule = Rule(
            index: 7,
            location: "code",
            event: "rcpt",
            conditions: RuleConditions(arguments: try RulePattern("@greylist\\.test>"), times: 1),
            actions: [.reply(SMTPReply(451, "4.7.1", "Greylisted"))]
        )
        let engine = ScenarioEngine(scenario: Scenario(name: "in-code", rules: [rule]))
        #expect(engine.match(rcpt("a@greylist.test")) == rule)
        #expect(engine.match(rcpt("a@greylist.test")) == nil)
        #expect(engine.firingCount(ofRuleAt: 0) == 1)
    }

    @Test func patternsReportCompileErrors() {
        let error = #expect(throws: RulePattern.CompileError.self) { try RulePattern("[a-") }
        #expect(error?.message == "Unmatched [, [^, [:, [., or [=")
    }
}
