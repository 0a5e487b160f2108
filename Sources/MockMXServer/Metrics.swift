import Foundation
import Synchronization

/// Counters for `/metrics` and tests. Thread-safe.
public final class Metrics: @unchecked Sendable {
    /// The counters at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// `sessions_total`, `bytes_sent`, `bytes_received`, …
        public var counters: [String: Int]
        /// Firings per rule: its name, or `rule N` for a rule without one (``Rule/metricLabel``).
        public var rules: [String: Int]
        /// Replies written per reply code.
        public var replies: [Int: Int]
    }

    /// Written on every read and write of every connection: the byte counters and reply codes are plain
    /// fields and an array indexed by code, not dictionary entries hashed by name each time.
    private struct State {
        var counters: [String: Int] = [:]
        var rules: [String: Int] = [:]
        var bytesSent: Int?
        var bytesReceived: Int?
        var logLinesDropped: Int?
        /// Replies per three-digit code.
        var replies = [Int](repeating: 0, count: 1000)

        var snapshot: Snapshot {
            var counters = counters
            if let bytesSent { counters["bytes_sent", default: 0] += bytesSent }
            if let bytesReceived { counters["bytes_received", default: 0] += bytesReceived }
            if let logLinesDropped { counters["log_lines_dropped", default: 0] += logLinesDropped }
            var codes: [Int: Int] = [:]
            for (code, count) in replies.enumerated() where count > 0 { codes[code] = count }
            return Snapshot(counters: counters, rules: rules, replies: codes)
        }
    }

    private let state = Mutex(State())

    func ruleFired(_ label: String) {
        state.withLock { $0.rules[label, default: 0] += 1 }
    }

    func bytesSent(_ count: Int) {
        state.withLock { $0.bytesSent = ($0.bytesSent ?? 0) + count }
    }

    func bytesReceived(_ count: Int) {
        state.withLock { $0.bytesReceived = ($0.bytesReceived ?? 0) + count }
    }

    /// Log lines the embedding program dropped because its output was not read (the CLI's stdout/stderr).
    public func logLinesDropped(_ count: Int) {
        state.withLock { $0.logLinesDropped = ($0.logLinesDropped ?? 0) + count }
    }

    /// Counts a reply by the code its bytes start with; bytes without one (a raw or truncated reply) are
    /// not a reply to count.
    func replyWritten(_ bytes: [UInt8]) {
        guard bytes.count >= 3 else { return }
        let (a, b, c) = (bytes[0] &- 0x30, bytes[1] &- 0x30, bytes[2] &- 0x30)
        guard a <= 9, b <= 9, c <= 9 else { return }
        let code = Int(a) * 100 + Int(b) * 10 + Int(c)
        state.withLock { $0.replies[code] += 1 }
    }

    func add(_ name: String, _ amount: Int = 1) {
        state.withLock { $0.counters[name, default: 0] += amount }
    }

    public var snapshot: Snapshot {
        state.withLock { $0.snapshot }
    }

    func reset() {
        state.withLock { $0 = State() }
    }
}
