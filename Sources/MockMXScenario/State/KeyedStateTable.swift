/// The keyed state of one scenario on one listener (`greylist:` and `limit:` conditions): a plain value
/// fed with scenario times, with no clock and no I/O of its own.
///
/// Bounded: at most `capacity` keys; a new key beyond that evicts the oldest one (the one inserted first),
/// which is then as if never seen: a greylisted triplet starts over, a rate window restarts empty.
public struct KeyedStateTable: Sendable {
    /// A key as one rule sees it: the rule's position in `rules` and the key parts' bytes joined by NUL
    /// (a byte no part can contain: the protocol refuses it in commands).
    public struct Key: Hashable, Sendable {
        public var rule: Int
        public var value: [UInt8]

        public init(rule: Int, value: [UInt8]) {
            self.rule = rule
            self.value = value
        }

        /// The parts the key was made of, as text.
        public var parts: [String] {
            value.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// What is remembered for a key, in scenario milliseconds.
    public enum Entry: Sendable, Equatable {
        /// `greylist:`: when the key was first seen, when last, and whether it passed (came back after the delay).
        case greylist(firstSeen: Int64, lastSeen: Int64, passed: Bool)
        /// `limit:` with a window: the times of the counted events inside it, oldest first.
        case window([Int64])
        /// `limit:` without a window: how many events were counted.
        case counter(Int)
    }

    /// Whether a keyed condition holds for this event.
    public enum Outcome: Sendable, Equatable {
        /// It holds (the rule refuses); `remainingMilliseconds` says when the key gets through, if it ever will.
        case holds(remainingMilliseconds: Int?)
        /// It does not hold: the key passes.
        case passes
    }

    /// The most keys kept at once.
    public let capacity: Int
    /// Keys evicted to make room since the table was made.
    public private(set) var evictions = 0
    private var slots: [Key: (entry: Entry, generation: Int)] = [:]
    /// Keys by insertion, with the generation they were inserted as: a key removed and inserted again is a
    /// new generation, so its old place in the order no longer evicts it.
    private var order: [(key: Key, generation: Int)] = []
    private var orderStart = 0
    private var nextGeneration = 0

    /// The default `capacity`: 10 000 keys, on the order of a megabyte for greylist triplets.
    public static let defaultCapacity = 10_000

    public init(capacity: Int = defaultCapacity) {
        precondition(capacity > 0, "a state table holds at least one key")
        self.capacity = capacity
    }

    /// Keys held now.
    public var count: Int { slots.count }

    /// postgrey's decision for `key` at `now`. A key not seen within `expire` is new; a new key is refused for
    /// `delay`; a retry before that is refused again and does not restart the delay; after it the key passes.
    public mutating func greylist(_ key: Key, _ condition: GreylistCondition, now: Int64) -> Outcome {
        let delay = Int64(condition.delayMilliseconds)
        if let slot = slots[key], case let .greylist(firstSeen, lastSeen, passed) = slot.entry,
           now - lastSeen <= Int64(condition.expireMilliseconds) {
            let passesNow = passed || now - firstSeen >= delay
            slots[key]!.entry = .greylist(firstSeen: firstSeen, lastSeen: now, passed: passesNow)
            return passesNow ? .passes : .holds(remainingMilliseconds: Int(delay - (now - firstSeen)))
        }
        insert(key, .greylist(firstSeen: now, lastSeen: now, passed: delay == 0))
        return delay == 0 ? .passes : .holds(remainingMilliseconds: Int(delay))
    }

    /// Anvil's decision for `key` at `now`: the event is counted and passes while fewer than `max` are
    /// counted in the window; beyond, it is refused and not counted.
    public mutating func limit(_ key: Key, _ condition: RateLimitCondition, now: Int64) -> Outcome {
        guard let window = condition.windowMilliseconds.map(Int64.init) else {
            var counted = 0
            if let slot = slots[key], case let .counter(count) = slot.entry { counted = count }
            guard counted < condition.maximum else { return .holds(remainingMilliseconds: nil) }
            if counted == 0 { insert(key, .counter(1)) } else { slots[key]!.entry = .counter(counted + 1) }
            return .passes
        }
        var times: [Int64] = []
        let isKnown: Bool
        if let slot = slots[key], case let .window(kept) = slot.entry {
            times = kept
            isKnown = true
        } else {
            isKnown = false
        }
        if let firstInside = times.firstIndex(where: { now - $0 < window }) {
            times.removeFirst(firstInside)
        } else {
            times.removeAll()
        }
        let outcome: Outcome
        if times.count >= condition.maximum {
            outcome = .holds(remainingMilliseconds: Int(times[0] + window - now))
        } else {
            times.append(now)
            outcome = .passes
        }
        if isKnown { slots[key]!.entry = .window(times) } else if !times.isEmpty { insert(key, .window(times)) }
        return outcome
    }

    /// Every key held, oldest first.
    public var entries: [(key: Key, entry: Entry)] {
        order[orderStart...].compactMap { item in
            guard let slot = slots[item.key], slot.generation == item.generation else { return nil }
            return (item.key, slot.entry)
        }
    }

    private mutating func insert(_ key: Key, _ entry: Entry) {
        if slots[key] == nil, slots.count >= capacity { evictOldest() }
        slots[key] = (entry, nextGeneration)
        order.append((key, nextGeneration))
        nextGeneration += 1
        // Places of keys replaced or evicted pile up at the front; drop them once they are half the order.
        if orderStart > order.count / 2 {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        if order.count > 2 * capacity {
            order = entries.map { ($0.key, slots[$0.key]!.generation) }
            orderStart = 0
        }
    }

    private mutating func evictOldest() {
        while orderStart < order.count {
            let oldest = order[orderStart]
            orderStart += 1
            if let slot = slots[oldest.key], slot.generation == oldest.generation {
                slots[oldest.key] = nil
                evictions += 1
                return
            }
        }
    }
}
