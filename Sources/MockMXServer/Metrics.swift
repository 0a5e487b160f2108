import Foundation

/// Counters for `/metrics` and tests. Thread-safe.
public final class Metrics: @unchecked Sendable {
    /// The counters at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// `sessions_total`, `bytes_sent`, `bytes_received`, …
        public var counters: [String: Int]
        /// Firings per rule label (`rule 2 (greylist.yaml:14:5) on rcpt`).
        public var rules: [String: Int]
        /// Replies written per reply code.
        public var replies: [Int: Int]
    }

    private let lock = NSLock()
    private var counters: [String: Int] = [:]
    private var rules: [String: Int] = [:]
    private var replies: [Int: Int] = [:]

    func ruleFired(_ label: String) {
        lock.lock()
        rules[label, default: 0] += 1
        lock.unlock()
    }

    func bytesSent(_ count: Int) { add("bytes_sent", count) }

    func bytesReceived(_ count: Int) { add("bytes_received", count) }

    /// Counts a reply by the code its bytes start with; bytes without one (a raw or truncated reply) are
    /// not a reply to count.
    func replyWritten(_ bytes: [UInt8]) {
        guard bytes.count >= 3, bytes[..<3].allSatisfy({ (0x30...0x39).contains($0) }) else { return }
        let code = bytes[..<3].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        lock.lock()
        replies[code, default: 0] += 1
        lock.unlock()
    }

    func add(_ name: String, _ amount: Int = 1) {
        lock.lock()
        counters[name, default: 0] += amount
        lock.unlock()
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(counters: counters, rules: rules, replies: replies)
    }

    func reset() {
        lock.lock()
        counters.removeAll()
        rules.removeAll()
        replies.removeAll()
        lock.unlock()
    }
}
