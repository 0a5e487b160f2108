@testable import MockMXScenario
import Testing

/// The engine looks only at the rules on the event at hand: it must decide exactly as walking every
/// rule in order did.
@Suite struct ScenarioEngineIndexTests {
    private func rule(_ index: Int, on event: String, _ conditions: RuleConditions = RuleConditions()) -> Rule {
        Rule(index: index, location: "code", event: event, conditions: conditions, actions: [.close])
    }

    @Test func unknownAndTheVerbsOwnRulesKeepTheirOrder() throws {
        let engine = ScenarioEngine(scenario: Scenario(name: "order", rules: [
            rule(0, on: "unknown", RuleConditions(arguments: try RulePattern("^first"))),
            rule(1, on: "x-foo", RuleConditions(arguments: try RulePattern("^second"))),
            rule(2, on: "unknown", RuleConditions(arguments: try RulePattern("^third"))),
            rule(3, on: "x-foo"),
            rule(4, on: "unknown"),
        ]))
        func match(_ verb: String, _ arguments: String) -> Int? {
            let context = RuleEventContext(event: verb, isUnknownCommand: true, arguments: Array(ascii: arguments))
            return engine.match(context)?.index
        }
        #expect(match("x-foo", "first") == 0)
        #expect(match("x-foo", "second") == 1)
        #expect(match("x-foo", "third") == 2)
        #expect(match("x-foo", "other") == 3)
        #expect(match("x-bar", "second") == 4)
        #expect(match("x-bar", "third") == 2)
        // Known to the protocol: only its own rules.
        #expect(engine.match(RuleEventContext(event: "x-foo", arguments: Array(ascii: "first")))?.index == 3)
        #expect(engine.match(RuleEventContext(event: "x-bar")) == nil)
    }

    @Test func anEventNamedUnknownTriesEachRuleOnce() {
        // Were the `unknown` rules merged with themselves, a failed `chance:` would be drawn again.
        let scenario = Scenario(name: "once", seed: 5, rules: [rule(0, on: "unknown", RuleConditions(chance: 0.5))])
        let unrecognized = ScenarioEngine(scenario: scenario)
        let named = ScenarioEngine(scenario: scenario)
        let outcomes = (0..<64).map { _ in
            unrecognized.match(RuleEventContext(event: "unknown", isUnknownCommand: true)) != nil
        }
        let expected = (0..<64).map { _ in named.match(RuleEventContext(event: "unknown")) != nil }
        #expect(outcomes == expected)
        #expect(outcomes.contains(false) && outcomes.contains(true))
    }

    @Test func theContextsEventIsComparedIgnoringASCIICase() {
        let engine = ScenarioEngine(scenario: Scenario(name: "case", rules: [
            rule(0, on: "RCPT"),
            rule(1, on: "rcpt"),
            rule(2, on: "x-link2state"),
        ]))
        // A rule's event is compared as written: upper case in code never matches, as before.
        #expect(engine.match(RuleEventContext(event: "rcpt"))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "RCPT"))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "RcPt"))?.index == 1)
        #expect(engine.match(RuleEventContext(event: "X-LINK2STATE", isUnknownCommand: true))?.index == 2)
    }

    @Test func eventNamesCompareByteForByte() {
        // "é" precomposed and decomposed are equal as `String`s; rule events never compared that way.
        let engine = ScenarioEngine(scenario: Scenario(name: "bytes", rules: [rule(0, on: "x-caf\u{E9}")]))
        #expect(engine.match(RuleEventContext(event: "x-caf\u{E9}"))?.index == 0)
        #expect(engine.match(RuleEventContext(event: "x-cafe\u{301}")) == nil)
    }

    /// Random scenarios built in code and random event sequences: the same rules fire, the same
    /// `times:` are consumed and the same `chance:` draws are made as by walking every rule in order.
    @Test func decidesAsWalkingEveryRuleDid() throws {
        let events = ["rcpt", "mail", "unknown", "x-foo", "RCPT", "data"]
        let contextEvents = ["rcpt", "RCPT", "Rcpt", "mail", "x-foo", "X-FOO", "x-bar", "unknown", "data", "quit"]
        let patterns = [nil, try RulePattern("^a"), try RulePattern("b"), try RulePattern("(?i)A[0-9]*$")]
        let argumentChoices = ["a", "b", "A1", "xb", ""]
        var generator = ScenarioRandomGenerator(seed: 77)
        var fired = 0
        for scenarioNumber in 0..<300 {
            let rules = (0..<Int.random(in: 0...12, using: &generator)).map { index in
                rule(index, on: events.randomElement(using: &generator)!, RuleConditions(
                    arguments: patterns.randomElement(using: &generator)!,
                    session: Bool.random(using: &generator) ? nil : SessionSelector(numbers: [1, 3]),
                    times: [nil, 1, 2].randomElement(using: &generator)!,
                    chance: [nil, 0.5].randomElement(using: &generator)!
                ))
            }
            let scenario = Scenario(name: "random", seed: UInt64(scenarioNumber), rules: rules)
            let engine = ScenarioEngine(scenario: scenario)
            let reference = EveryRuleEngine(scenario: scenario)
            for _ in 0..<60 {
                let event = contextEvents.randomElement(using: &generator)!
                let isUnknownCommand = event.lowercased().hasPrefix("x-") || Int.random(in: 0..<4, using: &generator) == 0
                let context = RuleEventContext(
                    event: event,
                    isUnknownCommand: isUnknownCommand,
                    arguments: Array(ascii: argumentChoices.randomElement(using: &generator)!),
                    sessionNumber: Int.random(in: 1...3, using: &generator)
                )
                let expected = reference.match(context)
                #expect(engine.match(context)?.index == expected, "scenario \(scenarioNumber), \(event)")
                if expected != nil { fired += 1 }
            }
            for position in rules.indices {
                #expect(engine.firingCount(ofRuleAt: position) == reference.firings[position])
            }
        }
        #expect(fired > 1000)
    }
}

/// The engine as it was before the index: every rule in order, its event compared to the context's
/// lower-cased one byte for byte, `unknown` also taking every unrecognized verb.
private final class EveryRuleEngine {
    let rules: [Rule]
    var firings: [Int]
    var generator: ScenarioRandomGenerator

    init(scenario: Scenario) {
        rules = scenario.rules
        firings = Array(repeating: 0, count: scenario.rules.count)
        generator = ScenarioRandomGenerator(seed: scenario.seed)
    }

    func match(_ context: RuleEventContext) -> Int? {
        let event = context.event.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for (position, rule) in rules.enumerated() {
            let applies = (rule.event == ScenarioEvent.unknown && context.isUnknownCommand)
                || rule.event.utf8.elementsEqual(event)
            guard applies else { continue }
            if let times = rule.conditions.times, firings[position] >= times { continue }
            var subjects = EventSubjects(context)
            guard rule.conditions.holdsIgnoringCountersAndChance(for: context, &subjects) else { continue }
            if let chance = rule.conditions.chance, generator.nextUnitInterval() >= chance { continue }
            firings[position] += 1
            return rule.index
        }
        return nil
    }
}
