import Foundation
import SMTPProtocol
import Synchronization

/// Counters for `/metrics` and tests. Thread-safe.
public final class Metrics: @unchecked Sendable {
    /// The counters at one moment, since start or the last reset.
    public struct Snapshot: Sendable, Equatable {
        public var sessions = 0
        /// Connections refused with `421` at the connection limit.
        public var connectionsRefused = 0
        public var bytesSent = 0
        public var bytesReceived = 0
        /// Log lines the CLI dropped because its output was not being read.
        public var logLinesDropped = 0
        /// Firings per rule: its name, or `rule N` for a rule without one (``Rule/metricLabel``).
        public var rules: [String: Int] = [:]
        /// Keys of `greylist:` and `limit:` state evicted because a listener held its maximum.
        public var stateKeysEvicted = 0
        /// Replies written per reply code.
        public var replies: [Int: Int] = [:]
    }

    /// Written on every read and write of every connection: plain fields, and replies in an array indexed by
    /// code rather than dictionary entries hashed each time.
    private struct State {
        var counts = Snapshot()
        /// Replies per three-digit code.
        var replies = [Int](repeating: 0, count: 1000)

        var snapshot: Snapshot {
            var snapshot = counts
            for (code, count) in replies.enumerated() where count > 0 { snapshot.replies[code] = count }
            return snapshot
        }
    }

    private let state = Mutex(State())

    func sessionStarted() {
        state.withLock { $0.counts.sessions += 1 }
    }

    func connectionRefused() {
        state.withLock { $0.counts.connectionsRefused += 1 }
    }

    func ruleFired(_ label: String) {
        state.withLock { $0.counts.rules[label, default: 0] += 1 }
    }

    func stateKeyEvicted() {
        state.withLock { $0.counts.stateKeysEvicted += 1 }
    }

    func bytesSent(_ count: Int) {
        state.withLock { $0.counts.bytesSent += count }
    }

    func bytesReceived(_ count: Int) {
        state.withLock { $0.counts.bytesReceived += count }
    }

    /// Log lines the embedding program dropped because its output was not read (the CLI's stdout/stderr).
    public func logLinesDropped(_ count: Int) {
        state.withLock { $0.counts.logLinesDropped += count }
    }

    /// Counts a reply by the code its bytes start with; bytes without one (a raw or truncated reply) are
    /// not a reply to count.
    func replyWritten(_ bytes: [UInt8]) {
        guard let code = SMTPReply.leadingCode(bytes) else { return }
        state.withLock { $0.replies[code] += 1 }
    }

    public var snapshot: Snapshot {
        state.withLock { $0.snapshot }
    }

    func reset() {
        state.withLock { $0 = State() }
    }
}
