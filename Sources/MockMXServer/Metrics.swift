import Foundation

/// Counters for `/metrics` and tests. Thread-safe.
public final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var counters: [String: Int] = [:]
    private var rules: [String: Int] = [:]

    func ruleFired(_ label: String) {
        lock.lock()
        rules[label, default: 0] += 1
        lock.unlock()
    }

    func bytesSent(_ count: Int) { add("bytes_sent", count) }

    func add(_ name: String, _ amount: Int = 1) {
        lock.lock()
        counters[name, default: 0] += amount
        lock.unlock()
    }

    public var snapshot: (counters: [String: Int], rules: [String: Int]) {
        lock.lock()
        defer { lock.unlock() }
        return (counters, rules)
    }

    func reset() {
        lock.lock()
        counters.removeAll()
        rules.removeAll()
        lock.unlock()
    }
}
