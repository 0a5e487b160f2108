/// One key of the keyed state, as `GET /api/v1/listeners/{id}/state` shows it. Times are nominal
/// (unscaled) milliseconds.
public struct KeyedStateDescription: Sendable, Equatable, Encodable {
    /// The label of the rule whose condition keeps the key.
    public var rule: String
    /// `greylist` or `limit`.
    public var kind: String
    /// The key's parts by name (`client`, `sender`, …) in the order of the condition's `key:`.
    public var key: [String: String]
    /// greylist: `greylisted` (refused until `remainingMilliseconds`) or `passed`.
    public var status: String?
    public var remainingMilliseconds: Int?
    /// When the key is forgotten unless seen again.
    public var expiresInMilliseconds: Int?
    /// limit: events counted (in the window), the maximum, and when the oldest leaves the window.
    public var count: Int?
    public var maximum: Int?
    public var windowMilliseconds: Int?
    public var resetsInMilliseconds: Int?
}

extension ScenarioEngine {
    /// Keys held now, oldest first, without those that have expired or whose window is empty.
    public func stateDescriptions() -> [KeyedStateDescription] {
        let now = clock.now()
        return keyedState.entries.compactMap { key, entry in
            let rule = scenario.rules[key.rule]
            switch entry {
            case let .greylist(firstSeen, lastSeen, passed):
                guard let condition = rule.conditions.greylist,
                      now - lastSeen <= Int64(condition.expireMilliseconds) else { return nil }
                let waiting = Int64(condition.delayMilliseconds) - (now - firstSeen)
                let isGreylisted = !passed && waiting > 0
                return KeyedStateDescription(
                    rule: rule.label, kind: "greylist", key: Self.named(key, condition.key),
                    status: isGreylisted ? "greylisted" : "passed",
                    remainingMilliseconds: isGreylisted ? Int(waiting) : 0,
                    expiresInMilliseconds: Int(Int64(condition.expireMilliseconds) - (now - lastSeen)))
            case let .window(times):
                guard let condition = rule.conditions.limit, let window = condition.windowMilliseconds else { return nil }
                let inside = times.filter { now - $0 < Int64(window) }
                guard let oldest = inside.first else { return nil }
                return KeyedStateDescription(
                    rule: rule.label, kind: "limit", key: Self.named(key, condition.key), count: inside.count,
                    maximum: condition.maximum, windowMilliseconds: window,
                    resetsInMilliseconds: Int(oldest + Int64(window) - now))
            case let .counter(count):
                guard let condition = rule.conditions.limit else { return nil }
                return KeyedStateDescription(
                    rule: rule.label, kind: "limit", key: Self.named(key, condition.key), count: count,
                    maximum: condition.maximum)
            }
        }
    }

    /// Keys held now, expired ones included until they are looked up or evicted.
    public var stateKeyCount: Int { keyedState.count }

    /// The most keys held; the oldest is evicted beyond.
    public var stateCapacity: Int { keyedState.capacity }

    private static func named(_ key: KeyedStateTable.Key, _ parts: [StateKeyPart]) -> [String: String] {
        Dictionary(zip(parts.map(\.rawValue), key.parts), uniquingKeysWith: { first, _ in first })
    }
}
