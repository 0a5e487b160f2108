import SMTPProtocol
/// Decides which rule, if any, handles each event on one listener.
///
/// Holds the state rules depend on across connections: the session numbering, each rule's `times:`
/// count, the seeded generator for `chance:` and the keyed state of `greylist:` and `limit:`. Confined to the
/// event-loop thread that owns the listener, hence deliberately not `Sendable`.
public final class ScenarioEngine {
    public let scenario: Scenario
    /// The rules on each event named in the scenario, so that an event looks only at its own. A
    /// scenario names a handful of events: looking through them comparing bytes costs less than hashing
    /// the context's event name for a dictionary.
    private let rulesByEvent: [EventRules]
    /// The rules on `unknown`, for an unrecognized verb no rule names.
    private let unknownRules: [Candidate]
    /// Whether a rule counts occurrences (`nth:`, `nth-in-message:`): only then need events be counted.
    public let countsOccurrences: Bool
    private var sessionCount = 0
    private var firings: [Int]
    private var generator: ScenarioRandomGenerator
    /// What scenario durations are measured with, `--clock-scale` included.
    public let clock: ScenarioClock
    /// The scenario's idle timeout and hold limit in real milliseconds (scaled by the clock), worked out once:
    /// the transport reads the idle timeout at every read.
    public let idleTimeoutMilliseconds: Int
    public let holdTimeoutMilliseconds: Int
    /// Whether any rule looks at the envelope: only then does the transport fill in the context's sender
    /// and recipients, so scenarios without such rules pay nothing for them.
    public let usesEnvelope: Bool
    private(set) var keyedState: KeyedStateTable
    /// What the last keyed condition that held said about when its key gets through, for `{remaining}`.
    private var remainingMilliseconds: Int?
    private var reportedEvictions = 0
    /// Called when a key is evicted to make room (for `/metrics`).
    public var onEviction: (() -> Void)?

    /// `stateCapacity`: the most keys `greylist:` and `limit:` conditions keep, the oldest evicted beyond.
    public init(
        scenario: Scenario, clock: ScenarioClock = .monotonic(),
        stateCapacity: Int = KeyedStateTable.defaultCapacity
    ) {
        self.scenario = scenario
        self.clock = clock
        self.idleTimeoutMilliseconds = clock.real(milliseconds: scenario.timeouts.idleMilliseconds)
        self.holdTimeoutMilliseconds = clock.real(milliseconds: scenario.timeouts.holdMilliseconds)
        self.usesEnvelope = scenario.rules.contains { $0.conditions.usesEnvelope }
        self.keyedState = KeyedStateTable(capacity: stateCapacity)
        var grouped: [(event: [UInt8], candidates: [Candidate])] = []
        for (position, rule) in scenario.rules.enumerated() {
            let event = Array(rule.event.utf8)
            let candidate = Candidate(position: position, conditions: rule.conditions)
            if let group = grouped.firstIndex(where: { $0.event == event }) {
                grouped[group].candidates.append(candidate)
            } else {
                grouped.append((event, [candidate]))
            }
        }
        let unknown = Array(ScenarioEvent.unknown.utf8)
        let unknownRules = grouped.first { $0.event == unknown }?.candidates ?? []
        self.rulesByEvent = grouped.map { event, candidates in
            // Merged in the order of `rules`, so that the first rule that holds still wins.
            let forUnknownCommand = event == unknown
                ? candidates : (candidates + unknownRules).sorted { $0.position < $1.position }
            return EventRules(event: event, candidates: candidates, candidatesForUnknownCommand: forUnknownCommand)
        }
        self.unknownRules = unknownRules
        self.countsOccurrences = scenario.rules.contains { $0.conditions.nth != nil || $0.conditions.nthInMessage != nil }
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
        match(event: context.event, isUnknownCommand: context.isUnknownCommand) { context }
    }

    /// ``match(_:)`` with the context built only when a rule is on the event: most events of most scenarios
    /// have none, and the context copies the arguments, the HELO name and the client's address.
    public func match(event: String, isUnknownCommand: Bool, context makeContext: () -> RuleEventContext) -> Rule? {
        let candidates = if let group = group(of: event) {
            isUnknownCommand ? rulesByEvent[group].candidatesForUnknownCommand : rulesByEvent[group].candidates
        } else {
            isUnknownCommand ? unknownRules : []
        }
        guard !candidates.isEmpty else { return nil }
        let context = makeContext()
        var subjects = EventSubjects(context)
        // Through the buffer: iterating the array itself retains and releases every candidate.
        let fired = candidates.withUnsafeBufferPointer { buffer in
            buffer.first { fires($0, for: context, &subjects) }?.position
        }
        guard let fired else { return nil }
        guard let remaining = remainingMilliseconds else { return scenario.rules[fired] }
        remainingMilliseconds = nil
        var rule = scenario.rules[fired]
        rule.actions = rule.actions.map { $0.fillingIn(remainingMilliseconds: remaining) }
        return rule
    }

    /// Where in `rulesByEvent` the rules on `event` are, compared byte for byte with it lower-cased in
    /// ASCII, as rule events are lower-case as in `on:`.
    private func group(of event: String) -> Int? {
        var event = event
        return event.withUTF8 { name in
            rulesByEvent.firstIndex { rules in
                rules.event.count == name.count
                    && rules.event.withUnsafeBufferPointer { zip($0, name).allSatisfy { $0 == ASCII.lowercased($1) } }
            }
        }
    }

    /// Whether `candidate` fires for `context`, counting the firing if so. Counters are kept by position
    /// in `rules`, not `Rule.index`, so a scenario built in code with arbitrary indexes still counts
    /// correctly. Inlined, like the conditions' check, so that the candidate is not retained per call.
    @inline(__always)
    private func fires(_ candidate: Candidate, for context: RuleEventContext, _ subjects: inout EventSubjects) -> Bool {
        if let times = candidate.conditions.times, firings[candidate.position] >= times { return false }
        guard candidate.conditions.holdsIgnoringCountersAndChance(for: context, &subjects) else { return false }
        if let chance = candidate.conditions.chance, generator.nextUnitInterval() >= chance { return false }
        if candidate.isKeyed, !keyedConditionsHold(candidate, for: context) { return false }
        firings[candidate.position] += 1
        return true
    }

    /// Keyed state is consulted last, once everything else held, so that only events the rule would
    /// otherwise handle are counted or greylisted.
    private func keyedConditionsHold(_ candidate: Candidate, for context: RuleEventContext) -> Bool {
        let now = clock.now()
        var remaining: Int?
        if let greylist = candidate.conditions.greylist {
            let key = KeyedStateTable.Key(rule: candidate.position, value: keyValue(greylist.key, context))
            guard case let .holds(left) = record(keyedState.greylist(key, greylist, now: now)) else { return false }
            remaining = left
        }
        if let limit = candidate.conditions.limit {
            let key = KeyedStateTable.Key(rule: candidate.position, value: keyValue(limit.key, context))
            guard case let .holds(left) = record(keyedState.limit(key, limit, now: now)) else { return false }
            remaining = max(remaining ?? 0, left ?? 0)
        }
        remainingMilliseconds = remaining
        return true
    }

    private func record(_ outcome: KeyedStateTable.Outcome) -> KeyedStateTable.Outcome {
        if keyedState.evictions > reportedEvictions {
            for _ in reportedEvictions..<keyedState.evictions { onEviction?() }
            reportedEvictions = keyedState.evictions
        }
        return outcome
    }

    private func keyValue(_ parts: [StateKeyPart], _ context: RuleEventContext) -> [UInt8] {
        var value: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { value.append(0) }
            value += context.keyBytes(part)
        }
        return value
    }

    /// How many times the rule at `position` in `scenario.rules` has fired since start or ``reset()``.
    public func firingCount(ofRuleAt position: Int) -> Int {
        firings.indices.contains(position) ? firings[position] : 0
    }

    /// Back to the state of a new engine: `times:` counters, session numbering and the generator.
    public func reset() {
        keyedState = KeyedStateTable(capacity: keyedState.capacity)
        reportedEvictions = 0
        sessionCount = 0
        firings = Array(repeating: 0, count: scenario.rules.count)
        generator = ScenarioRandomGenerator(seed: scenario.seed)
    }
}

@available(*, unavailable)
extension ScenarioEngine: Sendable {}

private struct EventRules {
    /// As in `on:`.
    var event: [UInt8]
    /// In the order of `rules`.
    var candidates: [Candidate]
    /// With the rules on `unknown`, for a verb the protocol does not recognize.
    var candidatesForUnknownCommand: [Candidate]
}

/// A rule as the engine tries it: its position in `scenario.rules` and its conditions. A class `let`
/// is known never to change, so the conditions are read in place; taken from an array element they
/// would be copied, retaining every pattern and array in them, for each rule looked at.
private final class Candidate {
    let position: Int
    let conditions: RuleConditions
    /// Whether the rule has a `greylist:` or `limit:` condition.
    let isKeyed: Bool

    init(position: Int, conditions: RuleConditions) {
        self.position = position
        self.conditions = conditions
        self.isKeyed = conditions.greylist != nil || conditions.limit != nil
    }
}
