import Foundation
import SMTPProtocol
import StrictJSON

/// Accepted messages: in memory up to a count and a byte budget for their content (oldest dropped first), and
/// with a spool directory also as files, written on the spool's own thread before the acknowledgement leaves,
/// so nothing acknowledged is lost. Thread-safe: the loop and the spool thread write, tests and the API read
/// from any thread.
public final class MessageStore: @unchecked Sendable {
    private struct Retained {
        var message: StoredMessage
        /// The message as the API lists it, once listed: a test polling the list would otherwise pay for
        /// encoding every message of every page again.
        var listing: JSONFragment?
    }

    private let lock = NSLock()
    private var messages = RetentionQueue<Retained>()
    private let waiters = CountWaiters()
    private var dropped = 0
    private var acceptedTotal = 0
    /// Content and XEXCH50 bytes of the retained messages.
    private var retainedBytes = 0
    let retention: Int
    /// The most content and blob bytes kept in memory.
    let byteBudget: Int
    let spool: URL?
    private let writer: SpoolWriter?

    /// `syncSpool`: each write is followed by `syncfs` (batched across sessions) before its `250`.
    init(
        retention: Int, byteBudget: Int = HostConfiguration.defaultMessageRetentionBytes, spoolDirectory: String?,
        syncSpool: Bool = false
    ) throws {
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
            self.writer = SpoolWriter(directory: url.path, sync: syncSpool)
        } else {
            self.spool = nil
            self.writer = nil
        }
    }

    /// Why a message was not kept, with the reply that says so instead of its `2xx`.
    struct Refusal: Error {
        var reply: SMTPReply
        /// For the transcript.
        var reason: String
    }

    /// Stores a message on the calling thread; throws when the spool cannot be written (`451`), or when the
    /// message is larger than the whole byte budget and there is no spool to keep it in (`552`), so the caller
    /// refuses it instead of acknowledging something that is not kept. With a spool such a message is kept
    /// on disk only.
    func store(_ message: StoredMessage) throws(Refusal) {
        if spool != nil {
            keep(try writeToSpool(message))
        } else {
            try keepInMemoryOnly(message)
        }
    }

    /// Whether messages are stored by the spool thread (``store(_:loop:then:)``) rather than at once.
    var storesInBackground: Bool { writer != nil }

    /// Stores a message once the spool thread has written its files; `resume` runs on `loop` with nil once
    /// the message is kept, else the refusal. Only with a spool.
    func store(_ message: StoredMessage, loop: EventLoop, then resume: @escaping @Sendable (Refusal?) -> Void) {
        guard let writer else { preconditionFailure("storing in the background needs a spool") }
        writer.submit(
            SpoolWriter.Job(loop: loop) { [self] in
                do throws(Refusal) {
                    let kept = try writeToSpool(message)
                    if writer.sync {
                        // Kept in memory only once the batch is synced, so the API never shows what a
                        // failed sync will refuse.
                        return { [self] failure in
                            if let failure { return resume(MessageStore.writeFailure(failure)) }
                            keep(kept)
                            resume(nil)
                        }
                    }
                    keep(kept)
                    return { _ in resume(nil) }
                } catch {
                    return { _ in resume(error) }
                }
            })
    }

    /// Writes an ended session's file (`sessions/<id>.json`) on the spool thread, after its messages.
    func spool(_ session: SessionRecord) {
        guard let writer else { return }
        writer.submit(
            SpoolWriter.Job(loop: nil) {
                // Nothing was acknowledged on the strength of it: a failed write only leaves the session out of
                // an offline judgment (the live API still has it).
                try? SessionSpool.write(session.recorded(), to: writer.directory)
                return nil
            })
    }

    /// Blocks until every spool write asked for so far is done: at shutdown, before the process exits.
    public func finishSpoolWrites() {
        writer?.drain()
    }

    private func keepInMemoryOnly(_ message: StoredMessage) throws(Refusal) {
        guard message.receivedBytes <= byteBudget else {
            throw Refusal(
                reply: SMTPReply(552, "5.3.4", "Error: message file too big"),
                reason: "\(message.receivedBytes) bytes exceed the whole memory budget for messages "
                    + "(\(byteBudget) bytes) and there is no spool")
        }
        keep(message)
    }

    /// Writes the message's files; returns what memory keeps of it (a message over the whole budget lives
    /// on disk only).
    private func writeToSpool(_ message: StoredMessage) throws(Refusal) -> StoredMessage {
        guard let spool else { return message }
        do {
            for file in try MessageStore.spoolFiles(for: message) {
                try file.contents.withUnsafeBytes { bytes in
                    try SpoolWriter.write(bytes, to: spool.path, name: file.name, atomically: file.atomically)
                }
            }
        } catch let error as SpoolError {
            throw MessageStore.writeFailure(error)
        } catch {
            throw MessageStore.writeFailure(SpoolError(description: "encoding the envelope: \(error)"))
        }
        return message.receivedBytes > byteBudget ? MessageStore.onDiskOnly(message, in: spool) : message
    }

    private static func writeFailure(_ error: SpoolError) -> Refusal {
        Refusal(reply: SMTPReply(451, "4.3.0", "Error: queue file write error"), reason: error.description)
    }

    private func keep(_ message: StoredMessage) {
        var kept = message
        // A message that fits but sits in buffers larger than the budget (a rare one just under it) is copied
        // into exact ones, so it is kept rather than dropped at once.
        if kept.retainedBytes > byteBudget { kept.compact() }
        lock.lock()
        messages.append(Retained(message: kept))
        retainedBytes += kept.retainedBytes
        // Amortised O(1): each message is dropped at most once.
        while messages.count > retention || retainedBytes > byteBudget, let oldest = messages.removeFirst() {
            retainedBytes -= oldest.message.retainedBytes
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
        return messages.elements.map(\.message)
    }

    /// How many retained messages match `predicate` (all, when nil), and those at `page`'s positions among
    /// them, oldest first, each as `listing` encodes it. Without a predicate O(page): a client paging through
    /// 10,000 retained messages does not look at them all for each page. A message is encoded the first time
    /// it is listed, under the lock, and kept encoded.
    func page(
        _ page: ListPage, matching predicate: ((StoredMessage) -> Bool)? = nil,
        listing: (StoredMessage) throws -> [UInt8]
    ) rethrows -> (total: Int, start: Int, messages: [JSONFragment]) {
        lock.lock()
        defer { lock.unlock() }
        func listed(_ offset: Int) throws -> JSONFragment {
            if let cached = messages[offset].listing { return cached }
            let fragment = JSONFragment(try listing(messages[offset].message))
            messages[offset].listing = fragment
            return fragment
        }
        guard let predicate else {
            let range = page.range(in: messages.count)
            return (messages.count, range.lowerBound, try range.map(listed))
        }
        var total = 0
        var matches: [JSONFragment] = []
        let end = page.limit.map { page.start + $0 } ?? Int.max
        for offset in 0..<messages.count where predicate(messages[offset].message) {
            if total >= page.start, total < end { matches.append(try listed(offset)) }
            total += 1
        }
        return (total, min(page.start, total), matches)
    }

    /// How many messages are retained, and the `limit` at most from the `start`th newest on, newest first (as
    /// Mailpit lists them): O(page).
    func newestFirst(start: Int, limit: Int) -> (total: Int, messages: [StoredMessage]) {
        lock.lock()
        defer { lock.unlock() }
        let count = messages.count
        let first = max(0, count - start - limit)
        let end = max(0, count - start)
        return (count, (first..<end).reversed().map { messages[$0].message })
    }

    /// How many retained messages satisfy `predicate`.
    func count(where predicate: (StoredMessage) -> Bool) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var count = 0
        for offset in 0..<messages.count where predicate(messages[offset].message) { count += 1 }
        return count
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
        return messages.first { $0.message.id == id }?.message
    }

    /// Removes the retained messages that satisfy `predicate` (Mailpit's delete by ID or search). The
    /// accepted and dropped counts stay: they count what arrived, not what is kept.
    public func remove(where predicate: (StoredMessage) -> Bool) {
        lock.lock()
        messages.removeAll { retained in
            guard predicate(retained.message) else { return false }
            retainedBytes -= retained.message.retainedBytes
            return true
        }
        lock.unlock()
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

    /// A file of a spooled message: its name in the spool directory and what it holds.
    struct SpoolFile {
        var name: String
        var contents: [UInt8]
        /// Through a temporary name: the envelope, whose presence says the others are complete.
        var atomically = false
    }

    /// The files a message is spooled as, in the order they are written: the content and any XEXCH50 blob
    /// first, the envelope last and atomically, so a reader that sees `<id>.json` finds every file it
    /// describes complete.
    static func spoolFiles(for message: StoredMessage) throws -> [SpoolFile] {
        var files = [SpoolFile(name: "\(message.id).eml", contents: message.content)]
        if let blob = message.xexch50 {
            files.append(SpoolFile(name: "\(message.id).xexch50", contents: blob.bytes))
        }
        var envelope = try JSONBytesEncoder().encode(message.envelope)
        envelope.append(0x0A)
        files.append(SpoolFile(name: "\(message.id).json", contents: envelope, atomically: true))
        return files
    }
}
