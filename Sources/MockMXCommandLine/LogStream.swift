import Foundation

/// Lines to a descriptor (stdout, stderr) without ever blocking the caller: the event loop logs every
/// transcript entry, and a harness that puts the output on a pipe and never reads it (`subprocess.Popen(...,
/// stdout=PIPE)`) must not freeze the host once the pipe's 64 KiB fill. Lines go into a bounded buffer that a
/// thread of the stream's own writes out with ordinary blocking writes; when the buffer is full, lines are
/// dropped and counted, and once the output flows again a line says how many were lost.
public final class LogStream: @unchecked Sendable {
    private let descriptor: Int32
    private let capacity: Int
    /// Guards everything below; wakes the writer when lines arrive, and `flush` when the writer is done.
    /// (One pthread-backed lock: ThreadSanitizer sees it, and the loop thread holds it only to append.)
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    /// Lines lost since the last notice about them.
    private var droppedSinceNotice = 0
    private var droppedTotal = 0
    /// The writer thread has taken bytes out of `buffer` and not finished writing them.
    private var writing = false
    private var onDrop: (@Sendable (Int) -> Void)?

    /// - Parameter capacity: bytes waiting to be written at most; beyond them lines are dropped.
    public init(descriptor: Int32, capacity: Int = 1 << 20) {
        self.descriptor = descriptor
        self.capacity = capacity
        // The thread keeps the stream alive: streams live as long as the process.
        let thread = Thread { [self] in writeLoop() }
        thread.name = "mockmx log writer fd \(descriptor)"
        thread.start()
    }

    /// Lines lost because the output was not read, since the stream was made.
    public var droppedLines: Int { condition.withLock { droppedTotal } }

    /// Called with 1 for every line dropped from now on (the CLI counts them in `/metrics`).
    public func countDrops(_ handler: @escaping @Sendable (Int) -> Void) {
        condition.withLock { onDrop = handler }
    }

    /// Queues `line` and a line feed; drops it when the buffer is full. Never waits for the output.
    public func write(_ line: String) {
        condition.lock()
        guard buffer.count + line.utf8.count + 1 <= capacity else {
            droppedSinceNotice += 1
            droppedTotal += 1
            let handler = onDrop
            condition.unlock()
            handler?(1)
            return
        }
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        condition.signal()
        condition.unlock()
    }

    /// Waits until every queued line is written or `timeout` has passed; true when everything went out.
    /// The final lines of a shutdown use it with a short timeout, so an unread pipe cannot hold up the exit.
    @discardableResult
    public func flush(timeout: Duration) -> Bool {
        let deadline = Date(
            timeIntervalSinceNow: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !buffer.isEmpty || writing || droppedSinceNotice > 0 {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private func writeLoop() {
        while true {
            condition.lock()
            while buffer.isEmpty && droppedSinceNotice == 0 {
                condition.broadcast()  // idle: a flush may be waiting
                condition.wait()
            }
            var batch: [UInt8] = []
            swap(&batch, &buffer)
            // The lines now leaving were mostly queued before the ones lost, so the notice follows them.
            if droppedSinceNotice > 0 {
                batch += "mockmx: \(droppedSinceNotice) log line(s) dropped: the output was not being read\n".utf8
                droppedSinceNotice = 0
            }
            writing = true
            condition.unlock()
            writeAll(batch)
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Blocking writes are fine here: only this thread waits for the reader. A closed pipe loses the bytes.
    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
