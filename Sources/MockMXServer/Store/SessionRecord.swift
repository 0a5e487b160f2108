import Foundation
import Synchronization

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
    /// The rule that decided this step, as ``Rule/label`` gives it:
    /// `greylisted on first contact (greylist.yaml:11:5)`, or `rule 2 (mine.yaml:14:5)` for a rule without a name.
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
///
/// Every open session has one, so it is kept small: the transcript is one growing byte log (each entry a
/// 15-byte header and its UTF-8 text) instead of an array of `TranscriptEntry` values each owning heap
/// `String`s, and the lock is an inline `Mutex` rather than an `NSLock` object. Entries are rebuilt
/// as `TranscriptEntry` values only when someone reads `transcript`.
public final class SessionRecord: Sendable {
    public let id: String
    public let listener: String
    public let scenario: String
    public let clientAddress: String
    public let startedAt: Date
    private let log: Mutex<TranscriptLog>
    /// The session's place in the order of its ``SessionStore`` (set when added): how the store finds it in
    /// O(1) when it ends.
    let storeSequence = Atomic<Int>(-1)

    init(id: String, listener: String, scenario: String, clientAddress: String, maxEntries: Int) {
        self.id = id
        self.listener = listener
        self.scenario = scenario
        self.clientAddress = clientAddress
        self.startedAt = Date()
        self.log = Mutex(TranscriptLog(maxEntries: maxEntries))
    }

    /// `time`: when the entry happened (a client line: when its bytes arrived); now when nil.
    func append(
        _ direction: TranscriptEntry.Direction, _ text: String, rule: String? = nil, at time: Date? = nil
    ) -> TranscriptEntry {
        let entry = TranscriptEntry(time: time ?? Date(), direction: direction, text: text, rule: rule)
        log.withLock { $0.append(entry) }
        return entry
    }

    /// Appends a line whose UTF-8 text `write` appends.
    func appendText(
        _ direction: TranscriptEntry.Direction, rule: String? = nil, at time: Date? = nil,
        _ write: (inout [UInt8]) -> Void
    ) {
        let time = time ?? Date()
        log.withLock { $0.append(time: time, direction: direction, rule: rule, text: write) }
    }

    func end(_ reason: SessionEnd) {
        log.withLock { log in
            if log.endReason == nil {
                log.endReason = reason
                log.endedAt = Date()
            }
        }
    }

    public var transcript: [TranscriptEntry] {
        log.withLock { $0.entries }
    }

    /// Entries kept, without rebuilding them.
    public var transcriptEntryCount: Int {
        log.withLock { $0.count }
    }

    /// The memory the transcript takes, which the store's byte budget counts.
    var transcriptBytes: Int {
        log.withLock { $0.byteCount }
    }

    /// Entries not kept because the transcript reached its bound.
    public var omittedEntryCount: Int {
        log.withLock { $0.omitted }
    }

    /// The labels of the rules that shaped this session, in the order they first fired.
    public var rulesFired: [String] {
        log.withLock { $0.rules }
    }

    public var ended: (at: Date, reason: SessionEnd)? {
        log.withLock { log in
            guard let endedAt = log.endedAt, let endReason = log.endReason else { return nil }
            return (endedAt, endReason)
        }
    }
}

/// A session's transcript, packed: per entry the time (8 bytes, the `Date`'s bit pattern), the direction
/// (1), the rule as an index into `rules` (2, `0xFFFF` for none) and the text's length (4), then the text.
struct TranscriptLog {
    private static let header = 15
    private static let noRule = UInt16.max
    private static let directions: [TranscriptEntry.Direction] = [.client, .hostReceived, .server, .note]

    private var bytes: [UInt8] = []
    /// The distinct rule labels this session's entries name (a handful at most).
    private(set) var rules: [String] = []
    private(set) var count = 0
    private(set) var omitted = 0
    private let maxEntries: Int
    var endedAt: Date?
    var endReason: SessionEnd?

    init(maxEntries: Int) {
        self.maxEntries = maxEntries
    }

    /// The packed log's allocation and the rule labels.
    var byteCount: Int {
        bytes.capacity + rules.reduce(0) { $0 + $1.utf8.count }
    }

    mutating func append(_ entry: TranscriptEntry) {
        var text = entry.text
        append(time: entry.time, direction: entry.direction, rule: entry.rule) { bytes in
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    /// Appends an entry whose text `writeText` appends to the log, as UTF-8.
    mutating func append(
        time: Date, direction: TranscriptEntry.Direction, rule label: String?, text writeText: (inout [UInt8]) -> Void
    ) {
        guard count < maxEntries else {
            omitted += 1
            return
        }
        count += 1
        var rule = TranscriptLog.noRule
        if let label {
            if let index = rules.lastIndex(of: label) {
                rule = UInt16(index)
            } else if rules.count < Int(TranscriptLog.noRule) {
                rule = UInt16(rules.count)
                rules.append(label)
            }
        }
        // The header in one append: 15 bytes packed into two words on the stack; the length is filled in
        // once the text is written.
        var header: (UInt64, UInt64) = (time.timeIntervalSinceReferenceDate.bitPattern.littleEndian, 0)
        withUnsafeMutableBytes(of: &header) { raw in
            raw[8] = TranscriptLog.code(direction)
            raw.storeBytes(of: rule.littleEndian, toByteOffset: 9, as: UInt16.self)
        }
        let headerStart = bytes.count
        withUnsafeBytes(of: &header) { bytes.append(contentsOf: $0.prefix(TranscriptLog.header)) }
        writeText(&bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - headerStart - TranscriptLog.header)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: headerStart + 11, as: UInt32.self) }
    }

    var entries: [TranscriptEntry] {
        var entries: [TranscriptEntry] = []
        entries.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + TranscriptLog.header <= raw.count {
                let time = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let direction = TranscriptLog.directions[Int(raw[offset + 8])]
                let rule = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 9, as: UInt16.self))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 11, as: UInt32.self)))
                let start = offset + TranscriptLog.header
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]), as: UTF8.self)
                entries.append(
                    TranscriptEntry(
                        time: Date(timeIntervalSinceReferenceDate: Double(bitPattern: time)), direction: direction,
                        text: text, rule: rule == TranscriptLog.noRule ? nil : rules[Int(rule)]))
                offset = start + length
            }
        }
        return entries
    }

    private static func code(_ direction: TranscriptEntry.Direction) -> UInt8 {
        switch direction {
        case .client: 0
        case .hostReceived: 1
        case .server: 2
        case .note: 3
        }
    }
}

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
