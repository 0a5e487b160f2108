import Foundation
import Synchronization

/// Lines to a descriptor (stdout, stderr) without ever blocking the caller: the event loop logs every
/// transcript entry, and a harness that puts the output on a pipe and never reads it (`subprocess.Popen(...,
/// stdout=PIPE)`) must not freeze the host once the pipe's 64 KiB fill. Lines go into a bounded buffer that a
/// thread of the stream's own writes out with ordinary blocking writes; when the buffer is full, lines are
/// dropped and counted, and once the output flows again a line says how many were lost.
public final class LogStream: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        /// Lines lost since the last notice about them.
        var droppedSinceNotice = 0
        var droppedTotal = 0
        /// The writer thread has taken bytes out of `buffer` and not finished writing them.
        var writing = false
        var onDrop: (@Sendable (Int) -> Void)?
    }

    private let descriptor: Int32
    private let capacity: Int
    private let state = Mutex(State())
    /// Wakes the writer when lines arrive, and `flush` when the writer is done.
    private let condition = NSCondition()

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
    public var droppedLines: Int { state.withLock { $0.droppedTotal } }

    /// Called with 1 for every line dropped from now on (the CLI counts them in `/metrics`).
    public func countDrops(_ handler: @escaping @Sendable (Int) -> Void) {
        state.withLock { $0.onDrop = handler }
    }

    /// Queues `line` and a line feed; drops it when the buffer is full. Never waits for the output.
    public func write(_ line: String) {
        let dropHandler: (@Sendable (Int) -> Void)? = state.withLock { state in
            let size = line.utf8.count + 1
            guard state.buffer.count + size <= capacity else {
                state.droppedSinceNotice += 1
                state.droppedTotal += 1
                return state.onDrop
            }
            state.buffer.append(contentsOf: line.utf8)
            state.buffer.append(0x0A)
            return nil
        }
        if let dropHandler {
            dropHandler(1)
        } else {
            condition.lock()
            condition.signal()
            condition.unlock()
        }
    }

    /// Waits until every queued line is written or `timeout` has passed; true when everything went out.
    /// The final lines of a shutdown use it with a short timeout, so an unread pipe cannot hold up the exit.
    @discardableResult
    public func flush(timeout: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
            + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let idle = state.withLock { $0.buffer.isEmpty && !$0.writing && $0.droppedSinceNotice == 0 }
            if idle { return true }
            if !condition.wait(until: deadline) { return false }
        }
    }

    private func writeLoop() {
        while true {
            condition.lock()
            var batch: [UInt8] = []
            while true {
                let taken: [UInt8]? = state.withLock { state in
                    guard !state.buffer.isEmpty || state.droppedSinceNotice > 0 else { return nil }
                    var taken: [UInt8] = []
                    swap(&taken, &state.buffer)
                    // The lines now leaving were mostly queued before the ones lost, so the notice follows them.
                    if state.droppedSinceNotice > 0 {
                        taken += "mockmx: \(state.droppedSinceNotice) log line(s) dropped: the output was not being read\n"
                            .utf8
                        state.droppedSinceNotice = 0
                    }
                    state.writing = true
                    return taken
                }
                if let taken {
                    batch = taken
                    break
                }
                condition.broadcast()  // idle: a flush may be waiting
                condition.wait()
            }
            condition.unlock()
            writeAll(batch)
            state.withLock { $0.writing = false }
            condition.lock()
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
