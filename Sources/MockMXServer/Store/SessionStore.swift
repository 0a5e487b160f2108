import Foundation

/// The retained sessions, oldest dropped first beyond a count, and beyond a byte budget for the transcripts
/// of ended sessions (an open session's transcript is counted once it ends: until then it is bounded by the
/// per-session entry limit).
public final class SessionStore: @unchecked Sendable {
    private struct Retained {
        var record: SessionRecord
        /// Its transcript's bytes once ended; 0 while open.
        var bytes = 0
    }

    private let lock = NSLock()
    private var sessions = RetentionQueue<Retained>()
    /// The store sequence of `sessions[0]`; sessions are numbered as they are added.
    private var firstSequence = 0
    private var nextSequence = 0
    private var retainedBytes = 0
    private var dropped = 0
    private var startedTotal = 0
    private var endedTotal = 0
    private let retention: Int
    private let byteBudget: Int
    private let startWaiters = CountWaiters()
    private let endWaiters = CountWaiters()

    init(retention: Int, byteBudget: Int = HostConfiguration.defaultTranscriptRetentionBytes) {
        self.retention = retention
        self.byteBudget = byteBudget
    }

    func add(_ session: SessionRecord) {
        lock.lock()
        session.storeSequence.store(nextSequence, ordering: .relaxed)
        nextSequence += 1
        sessions.append(Retained(record: session))
        trim()
        startedTotal += 1
        let total = startedTotal
        lock.unlock()
        startWaiters.reached(total)
    }

    func ended(_ session: SessionRecord, _ reason: SessionEnd) {
        session.end(reason)
        let bytes = session.transcriptBytes
        lock.lock()
        let offset = session.storeSequence.load(ordering: .relaxed) - firstSequence
        if offset >= 0, offset < sessions.count {
            sessions[offset].bytes = bytes
            retainedBytes += bytes
            trim()
        }
        endedTotal += 1
        let total = endedTotal
        lock.unlock()
        endWaiters.reached(total)
    }

    /// Drops the oldest sessions, open or ended, while over a bound; each at most once, so O(1) amortised.
    private func trim() {
        while sessions.count > retention || retainedBytes > byteBudget, let oldest = sessions.removeFirst() {
            retainedBytes -= oldest.bytes
            firstSequence += 1
            dropped += 1
        }
    }

    public var all: [SessionRecord] {
        lock.lock()
        defer { lock.unlock() }
        return sessions.elements.map(\.record)
    }

    /// How many sessions are retained, and those at `page`'s positions (oldest first): O(page), not O(all).
    func page(_ page: ListPage) -> (total: Int, start: Int, sessions: [SessionRecord]) {
        lock.lock()
        defer { lock.unlock() }
        let range = page.range(in: sessions.count)
        return (sessions.count, range.lowerBound, range.map { sessions[$0].record })
    }

    public func session(id: String) -> SessionRecord? {
        lock.lock()
        defer { lock.unlock() }
        return sessions.first { $0.record.id == id }?.record
    }

    /// Sessions no longer retained because of the count or byte bound, since start or the last `removeAll`.
    public var totalDropped: Int {
        lock.lock()
        defer { lock.unlock() }
        return dropped
    }

    /// The bytes the retained ended sessions' transcripts take.
    public var totalRetainedTranscriptBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return retainedBytes
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
        // Sessions still open from before are past the new start: their end is not counted against the budget.
        firstSequence = nextSequence
        retainedBytes = 0
        dropped = 0
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
