import Foundation
import SMTPProtocol

/// Accepted messages: in memory up to a bound (oldest dropped first), and with a spool directory also
/// as files written atomically before the acknowledgement leaves, so nothing acknowledged is lost.
/// Thread-safe: the loop writes, tests and the API read from any thread.
public final class MessageStore: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: BoundedQueue<StoredMessage>
    private let waiters = CountWaiters()
    private(set) var dropped = 0
    private var acceptedTotal = 0
    let retention: Int
    let spool: URL?

    init(retention: Int, spoolDirectory: String?) throws {
        self.retention = retention
        self.messages = BoundedQueue(capacity: retention)
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

    /// Stores a message; throws when the spool cannot be written, so the caller refuses it instead
    /// of acknowledging something that is not kept.
    func store(_ message: StoredMessage) throws {
        if let spool { try write(message, to: spool) }
        lock.lock()
        if messages.append(message) { dropped += 1 }
        acceptedTotal += 1
        let total = acceptedTotal
        lock.unlock()
        waiters.reached(total)
    }

    /// The retained messages, oldest first.
    public var all: [StoredMessage] {
        lock.lock()
        defer { lock.unlock() }
        return messages.elements
    }

    /// Messages no longer retained because of the retention bound, since start or the last `removeAll`.
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

    /// Removes the retained messages that satisfy `predicate` (Mailpit's delete by ID or search). The
    /// accepted and dropped counts stay: they count what arrived, not what is kept.
    public func remove(where predicate: (StoredMessage) -> Bool) {
        lock.lock()
        messages.removeAll(where: predicate)
        lock.unlock()
    }

    public func removeAll() {
        lock.lock()
        messages.removeAll()
        acceptedTotal = 0
        dropped = 0
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
