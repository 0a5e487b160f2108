/// Decides which rule, if any, handles each event on one listener.
///
/// Holds the state rules depend on across connections: the session numbering, each rule's `times:`
/// count and the seeded generator for `chance:`. Confined to the event-loop thread that owns the
/// listener, hence deliberately not `Sendable`.
public final class ScenarioEngine {
    public let scenario: Scenario
    private var sessionCount = 0
    private var firings: [Int]
    private var generator: ScenarioRandomGenerator

    public init(scenario: Scenario) {
        self.scenario = scenario
        self.firings = Array(repeating: 0, count: scenario.rules.count)
        self.generator = ScenarioRandomGenerator(seed: scenario.seed)
    }

    /// Numbers a new connection: 1 for the first since start or ``reset()``.
    public func beginSession() -> Int {
        sessionCount += 1
        return sessionCount
    }

    /// The first rule whose event and every condition hold, or nil to let the protocol answer.
    ///
    /// A rule's `times:` count is consumed only when it fires. `chance:` is drawn last, only when
    /// everything else held, so the generator advances once per candidate rule and the same seed with
    /// the same sequence of events gives the same outcome.
    public func match(_ context: RuleEventContext) -> Rule? {
        // Counters are kept by position in `rules`, not `Rule.index`, so a scenario built in code with
        // arbitrary indexes still counts correctly.
        for (position, rule) in scenario.rules.enumerated() where rule.applies(to: context) {
            let conditions = rule.conditions
            if let times = conditions.times, firings[position] >= times { continue }
            guard conditions.holdsIgnoringCountersAndChance(for: context) else { continue }
            if let chance = conditions.chance, generator.nextUnitInterval() >= chance { continue }
            firings[position] += 1
            return rule
        }
        return nil
    }

    /// How many times the rule at `position` in `scenario.rules` has fired since start or ``reset()``.
    public func firingCount(ofRuleAt position: Int) -> Int {
        firings.indices.contains(position) ? firings[position] : 0
    }

    /// Back to the state of a new engine: `times:` counters, session numbering and the generator.
    public func reset() {
        sessionCount = 0
        firings = Array(repeating: 0, count: scenario.rules.count)
        generator = ScenarioRandomGenerator(seed: scenario.seed)
    }
}

@available(*, unavailable)
extension ScenarioEngine: Sendable {}
