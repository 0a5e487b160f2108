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
    /// Each of `rulesByEvent`'s events packed into an integer (``ScenarioEvent/packed(_:lowerCasing:)``):
    /// most events are found by comparing integers.
    private let packedEvents: [UInt64]
    /// The rules on `unknown`, for an unrecognized verb no rule names.
    private let unknownRules: RulesOnEvent
    /// Whether the scenario has rules at all: without, no event need be counted or looked up.
    public var hasRules: Bool { !rulesByEvent.isEmpty }
    /// Whether a rule counts occurrences (`nth:`, `nth-in-message:`): only then need events be counted.
    public let countsOccurrences: Bool
    private var sessionCount = 0
    /// This and `remainingMilliseconds` are read for every event with rules: `@exclusivity(unchecked)` spares
    /// the runtime's dynamic exclusivity check on each access (one thread, no overlapping access).
    @exclusivity(unchecked) private var firings: [Int]
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
    @exclusivity(unchecked) private var remainingMilliseconds: Int?
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
            return EventRules(
                event: event, rules: RulesOnEvent(candidates),
                rulesForUnknownCommand: RulesOnEvent(forUnknownCommand))
        }
        self.unknownRules = RulesOnEvent(unknownRules)
        self.packedEvents = rulesByEvent.map { rules in ScenarioEvent.packed(String(decoding: rules.event, as: UTF8.self)) }
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
        guard let rules = rules(on: EventName(context.event), isUnknownCommand: context.isUnknownCommand) else {
            return nil
        }
        return match(rules, numbers: context.numbers, arguments: context.arguments, helo: context.helo) { context }
    }

    /// The rules an event is matched against; nil when there are none. Found before the event's numbers are
    /// made, so that occurrences are counted only for an event some rule counts (``RulesOnEvent/countsOccurrences``).
    public func rules(on event: EventName, isUnknownCommand: Bool) -> RulesOnEvent? {
        guard hasRules else { return nil }
        let rules = if let group = group(of: event) {
            isUnknownCommand ? rulesByEvent[group].rulesForUnknownCommand : rulesByEvent[group].rules
        } else {
            isUnknownCommand ? unknownRules : nil
        }
        return rules?.screens.isEmpty == false ? rules : nil
    }

    /// ``match(_:)`` with the context built only when a rule on the event gets past its screen (``RuleScreen``):
    /// the context copies the arguments, the HELO name and the client's address, and most events of most
    /// scenarios have no rule that gets that far.
    public func match(
        _ rules: RulesOnEvent, numbers: EventNumbers, arguments: [UInt8], helo: [UInt8]?,
        context makeContext: () -> RuleEventContext
    ) -> Rule? {
        var screened = ScreenedBytes()
        guard var index = rules.firstAdmitted(from: 0, numbers, arguments, helo, &screened) else { return nil }
        // A rule passed its screen: only now is the context made, and the rules from there on looked at whole.
        let context = makeContext()
        var subjects = EventSubjects(context)
        var fired: Int?
        // Through the buffer: iterating the array itself retains and releases every candidate.
        rules.candidates.withUnsafeBufferPointer { candidates in
            while true {
                if fires(candidates[index], for: context, &subjects) {
                    fired = candidates[index].position
                    return
                }
                guard let next = rules.firstAdmitted(from: index + 1, numbers, arguments, helo, &screened) else { return }
                index = next
            }
        }
        guard let fired else { return nil }
        guard let remaining = remainingMilliseconds else { return scenario.rules[fired] }
        remainingMilliseconds = nil
        var rule = scenario.rules[fired]
        rule.actions = rule.actions.map { $0.fillingIn(remainingMilliseconds: remaining) }
        return rule
    }

    /// Where in `rulesByEvent` the rules on `event` are: by the packed name, or for a name longer than 8 bytes
    /// compared byte for byte with it lower-cased in ASCII, as rule events are lower-case as in `on:`.
    private func group(of event: EventName) -> Int? {
        if event.packed != 0 { return packedEvents.firstIndex(of: event.packed) }
        var event = event.text
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
    var rules: RulesOnEvent
    /// With the rules on `unknown`, for a verb the protocol does not recognize.
    var rulesForUnknownCommand: RulesOnEvent
}

/// The rules on one event as ``ScenarioEngine/rules(on:isUnknownCommand:)`` finds them for
/// ``ScenarioEngine/match(_:numbers:arguments:helo:context:)``: in the order they are tried, each with its
/// screen at the same index. A class, so that finding them for an event copies one reference.
///
/// The rules are also compiled together by the bytes their `args:` patterns need: for each byte some pattern
/// needs, which rules need it, a bit per rule. Each byte the event's arguments lack turns away every rule
/// needing it at once, so of many rules on one event only those whose bytes are all there are screened.
public final class RulesOnEvent {
    fileprivate let candidates: [Candidate]
    fileprivate let screens: [RuleScreen]
    /// The bytes some rule's `args:` pattern needs (ASCII letters lower-cased), each as the word and the bit
    /// that hold it in a ``ByteSet``.
    private let neededWords: [Int]
    private let neededBits: [UInt64]
    /// For the byte at index k of the needed ones, `words` masks from index `k * words`: bit i of mask w is set
    /// when rule `64 * w + i` needs the byte.
    private let needing: [UInt64]
    private let words: Int
    /// Whether a rule among them has `nth:` or `nth-in-message:`: only then is the event's occurrence counted.
    public let countsOccurrences: Bool

    fileprivate init(_ candidates: [Candidate]) {
        self.candidates = candidates
        screens = candidates.map { RuleScreen($0.conditions) }
        countsOccurrences = candidates.contains { $0.conditions.nth != nil || $0.conditions.nthInMessage != nil }
        words = (candidates.count + 63) / 64
        var neededWords: [Int] = []
        var neededBits: [UInt64] = []
        var needing: [UInt64] = []
        for byte in UInt8.min...UInt8.max {
            var masks = [UInt64](repeating: 0, count: words)
            for (index, candidate) in candidates.enumerated()
            where candidate.conditions.arguments?.requiredBytes.contains(byte) == true {
                masks[index / 64] |= 1 << UInt64(index % 64)
            }
            guard masks.contains(where: { $0 != 0 }) else { continue }
            neededWords.append(Int(byte >> 6))
            neededBits.append(1 << UInt64(byte & 63))
            needing += masks
        }
        self.neededWords = neededWords
        self.neededBits = neededBits
        self.needing = needing
    }

    /// The index of the first rule from `start` on that passes its screen, if any.
    fileprivate func firstAdmitted(
        from start: Int, _ numbers: EventNumbers, _ arguments: [UInt8], _ helo: [UInt8]?,
        _ screened: inout ScreenedBytes
    ) -> Int? {
        screens.withUnsafeBufferPointer { screens in
            var word = start / 64
            while word < words {
                var open = self.open(word: word, arguments, &screened)
                if word == start / 64 { open &= UInt64.max << UInt64(start % 64) }
                while open != 0 {
                    let index = word * 64 + open.trailingZeroBitCount
                    open &= open - 1
                    if screens[index].admits(numbers, arguments, helo, &screened) { return index }
                }
                word += 1
            }
            return nil
        }
    }

    /// The rules of mask `word` that the arguments' bytes do not turn away.
    private func open(word: Int, _ arguments: [UInt8], _ screened: inout ScreenedBytes) -> UInt64 {
        let inWord = min(64, candidates.count - word * 64)
        var open = inWord == 64 ? UInt64.max : (1 << UInt64(inWord)) - 1
        guard !neededBits.isEmpty else { return open }
        screened.argumentBytes(arguments).withWords { present in
            for k in neededBits.indices where present[neededWords[k]] & neededBits[k] == 0 {
                open &= ~needing[k * words + word]
            }
        }
        return open
    }
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
