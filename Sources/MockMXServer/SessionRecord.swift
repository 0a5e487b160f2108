import Foundation

/// One line of a session transcript.
public struct TranscriptEntry: Sendable, Equatable {
    public enum Direction: String, Sendable {
        /// Bytes from the client, as it sent them.
        case client
        /// What the host received after a firewall persona rewrote the client's bytes.
        case hostReceived = "host-received"
        /// Bytes the host sent.
        case server
        /// What happened that is not bytes: a rule firing, a delay, a reset, message content received.
        case note
    }

    public var time: Date
    public var direction: Direction
    public var text: String
    /// The rule that decided this step, e.g. `rule 2 (greylist.yaml:14:5) on rcpt`.
    public var rule: String?
}

/// How a session ended.
public enum SessionEnd: String, Sendable {
    case clientQuit = "client-quit"
    case clientVanished = "client-vanished"
    case closedByRule = "closed-by-rule"
    case resetByRule = "reset-by-rule"
    case timeout
    case hostShutdown = "host-shutdown"
    case protocolClose = "protocol-close"
    case outputOverflow = "output-overflow"
    case droppedByFirewall = "dropped-by-firewall"
    case tlsFailed = "tls-failed"
}

/// A session as tests see it: who connected where, what was said, how it ended.
/// Written on the loop thread, read from anywhere.
public final class SessionRecord: @unchecked Sendable {
    public let id: String
    public let listener: String
    public let scenario: String
    public let clientAddress: String
    public let startedAt: Date
    private let lock = NSLock()
    private var entries: [TranscriptEntry] = []
    private var endedAt: Date?
    private var endReason: SessionEnd?
    private let maxEntries: Int
    private var omittedEntries = 0

    init(id: String, listener: String, scenario: String, clientAddress: String, maxEntries: Int) {
        self.id = id
        self.listener = listener
        self.scenario = scenario
        self.clientAddress = clientAddress
        self.startedAt = Date()
        self.maxEntries = maxEntries
    }

    func append(_ direction: TranscriptEntry.Direction, _ text: String, rule: String? = nil) -> TranscriptEntry {
        let entry = TranscriptEntry(time: Date(), direction: direction, text: text, rule: rule)
        lock.lock()
        if entries.count < maxEntries {
            entries.append(entry)
        } else {
            omittedEntries += 1
        }
        lock.unlock()
        return entry
    }

    func end(_ reason: SessionEnd) {
        lock.lock()
        if endReason == nil {
            endReason = reason
            endedAt = Date()
        }
        lock.unlock()
    }

    public var transcript: [TranscriptEntry] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// Entries not kept because the transcript reached its bound.
    public var omittedEntryCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return omittedEntries
    }

    public var ended: (at: Date, reason: SessionEnd)? {
        lock.lock()
        defer { lock.unlock() }
        guard let endedAt, let endReason else { return nil }
        return (endedAt, endReason)
    }
}

/// The retained sessions, oldest dropped first beyond the bound.
public final class SessionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [SessionRecord] = []
    private var startedTotal = 0
    private var endedTotal = 0
    private let retention: Int
    private let startWaiters = CountWaiters()
    private let endWaiters = CountWaiters()

    init(retention: Int) {
        self.retention = retention
    }

    func add(_ session: SessionRecord) {
        lock.lock()
        sessions.append(session)
        if sessions.count > retention { sessions.removeFirst(sessions.count - retention) }
        startedTotal += 1
        let total = startedTotal
        lock.unlock()
        startWaiters.reached(total)
    }

    func ended(_ session: SessionRecord, _ reason: SessionEnd) {
        session.end(reason)
        lock.lock()
        endedTotal += 1
        let total = endedTotal
        lock.unlock()
        endWaiters.reached(total)
    }

    public var all: [SessionRecord] {
        lock.lock()
        defer { lock.unlock() }
        return sessions
    }

    public func session(id: String) -> SessionRecord? {
        lock.lock()
        defer { lock.unlock() }
        return sessions.first { $0.id == id }
    }

    public var totalStarted: Int {
        lock.lock()
        defer { lock.unlock() }
        return startedTotal
    }

    public var totalEnded: Int {
        lock.lock()
        defer { lock.unlock() }
        return endedTotal
    }

    public func removeAll() {
        lock.lock()
        sessions.removeAll()
        startedTotal = 0
        endedTotal = 0
        lock.unlock()
    }

    /// Waits until `count` sessions have ended in all (since start or reset).
    public func wait(forEnded count: Int, timeout: Duration) async -> Bool {
        await endWaiters.wait(for: count, timeout: timeout) { self.totalEnded }
    }

    /// `resume(true)` once `count` sessions have ended in all, on the thread that ended the last one (or at
    /// once); `resume(false)` from a task after the timeout. Needs no free task to report success.
    func whenEnded(reaches count: Int, timeout: Duration, _ resume: @escaping @Sendable (Bool) -> Void) {
        endWaiters.wait(for: count, timeout: timeout, current: { self.totalEnded }, resume: resume)
    }

    /// Waits until `count` sessions have started in all (since start or reset).
    public func wait(forStarted count: Int, timeout: Duration) async -> Bool {
        await startWaiters.wait(for: count, timeout: timeout) { self.totalStarted }
    }
}
