import Foundation
import SMTPProtocol

/// Accepted messages: in memory up to a count and a byte budget for their content (oldest dropped first), and
/// with a spool directory also as files written atomically before the acknowledgement leaves, so nothing
/// acknowledged is lost. Thread-safe: the loop writes, tests and the API read from any thread.
public final class MessageStore: @unchecked Sendable {
    private let lock = NSLock()
    private var messages = RetentionQueue<StoredMessage>()
    private let waiters = CountWaiters()
    private var dropped = 0
    private var acceptedTotal = 0
    /// Content and XEXCH50 bytes of the retained messages.
    private var retainedBytes = 0
    let retention: Int
    /// The most content and blob bytes kept in memory.
    let byteBudget: Int
    let spool: URL?

    init(retention: Int, byteBudget: Int = HostConfiguration.defaultMessageRetentionBytes, spoolDirectory: String?)
        throws
    {
        self.retention = retention
        self.byteBudget = byteBudget
        if let spoolDirectory {
            let url = URL(fileURLWithPath: spoolDirectory, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw HostError("cannot create spool directory \(spoolDirectory): \(error.localizedDescription)")
            }
            self.spool = url
        } else {
            self.spool = nil
        }
    }

    /// Why a message was not kept, with the reply that says so instead of its `2xx`.
    struct Refusal: Error {
        var reply: SMTPReply
        /// For the transcript.
        var reason: String
    }

    /// Stores a message; throws when the spool cannot be written (`451`), or when the message is larger than
    /// the whole byte budget and there is no spool to keep it in (`552`), so the caller refuses it instead of
    /// acknowledging something that is not kept. With a spool such a message is kept on disk only.
    func store(_ message: StoredMessage) throws(Refusal) {
        var kept = message
        if let spool {
            do {
                try write(message, to: spool)
            } catch {
                throw Refusal(reply: SMTPReply(451, "4.3.0", "Error: queue file write error"), reason: "\(error)")
            }
            if message.receivedBytes > byteBudget { kept = MessageStore.onDiskOnly(message, in: spool) }
        } else if message.receivedBytes > byteBudget {
            throw Refusal(
                reply: SMTPReply(552, "5.3.4", "Error: message file too big"),
                reason: "\(message.receivedBytes) bytes exceed the whole memory budget for messages "
                    + "(\(byteBudget) bytes) and there is no spool")
        }
        // A message that fits but sits in buffers larger than the budget (a rare one just under it) is copied
        // into exact ones, so it is kept rather than dropped at once.
        if kept.retainedBytes > byteBudget { kept.compact() }
        lock.lock()
        messages.append(kept)
        retainedBytes += kept.retainedBytes
        // Amortised O(1): each message is dropped at most once.
        while messages.count > retention || retainedBytes > byteBudget, let oldest = messages.removeFirst() {
            retainedBytes -= oldest.retainedBytes
            dropped += 1
        }
        acceptedTotal += 1
        let total = acceptedTotal
        lock.unlock()
        waiters.reached(total)
    }

    /// The message without its bytes, which stay in its spool files.
    private static func onDiskOnly(_ message: StoredMessage, in spool: URL) -> StoredMessage {
        var kept = message
        kept.spooled = SpooledContent(
            file: spool.appendingPathComponent("\(message.id).eml"), size: message.content.count,
            xexch50File: message.xexch50.map { _ in spool.appendingPathComponent("\(message.id).xexch50") },
            xexch50Size: message.xexch50?.bytes.count ?? 0)
        kept.content = []
        kept.xexch50?.bytes = []
        return kept
    }

    /// The retained messages, oldest first.
    public var all: [StoredMessage] {
        lock.lock()
        defer { lock.unlock() }
        return messages.elements
    }

    /// Content and XEXCH50 bytes the retained messages hold in memory.
    public var totalRetainedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return retainedBytes
    }

    /// Messages no longer retained because of the count or byte bound, since start or the last `removeAll`.
    public var totalDropped: Int {
        lock.lock()
        defer { lock.unlock() }
        return dropped
    }

    /// Messages accepted since start or the last `removeAll`, including any no longer retained.
    public var totalAccepted: Int {
        lock.lock()
        defer { lock.unlock() }
        return acceptedTotal
    }

    public func message(id: String) -> StoredMessage? {
        lock.lock()
        defer { lock.unlock() }
        return messages.first { $0.id == id }
    }

    public func removeAll() {
        lock.lock()
        messages.removeAll()
        acceptedTotal = 0
        dropped = 0
        retainedBytes = 0
        lock.unlock()
    }

    /// Waits until `count` messages were accepted in all, or the timeout passes; true when reached.
    public func wait(forTotal count: Int, timeout: Duration) async -> Bool {
        await waiters.wait(for: count, timeout: timeout) { self.totalAccepted }
    }

    /// `resume(true)` once `count` messages were accepted in all, on the thread that stored the last one (or
    /// at once); `resume(false)` from a task after the timeout. Needs no free task to report success.
    func whenTotal(reaches count: Int, timeout: Duration, _ resume: @escaping @Sendable (Bool) -> Void) {
        waiters.wait(for: count, timeout: timeout, current: { self.totalAccepted }, resume: resume)
    }

    private func write(_ message: StoredMessage, to directory: URL) throws {
        for file in try MessageStore.spoolFiles(for: message) {
            try file.contents.write(to: directory.appendingPathComponent(file.name), options: .atomic)
        }
    }

    /// A file of a spooled message: its name in the spool directory and what it holds.
    struct SpoolFile {
        var name: String
        var contents: Data
    }

    /// The files a message is spooled as, in the order they are written, each atomically: the content and
    /// any XEXCH50 blob first, the envelope last, so a reader that sees `<id>.json` finds every file it
    /// describes complete.
    static func spoolFiles(for message: StoredMessage) throws -> [SpoolFile] {
        var files = [SpoolFile(name: "\(message.id).eml", contents: Data(message.content))]
        if let blob = message.xexch50 {
            files.append(SpoolFile(name: "\(message.id).xexch50", contents: Data(blob.bytes)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        files.append(SpoolFile(name: "\(message.id).json", contents: try encoder.encode(message.envelope)))
        return files
    }
}
