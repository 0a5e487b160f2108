import Foundation
import Synchronization

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

    /// The ids of the messages this session delivered, in order, whether memory still retains them or not.
    public var messageIDs: [String] {
        log.withLock { $0.messages }
    }

    func delivered(_ messageID: String) {
        log.withLock { $0.messages.append(messageID) }
    }

    public var ended: (at: Date, reason: SessionEnd)? {
        log.withLock { log in
            guard let endedAt = log.endedAt, let endReason = log.endReason else { return nil }
            return (endedAt, endReason)
        }
    }
}
