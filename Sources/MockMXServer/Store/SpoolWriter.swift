import CLibEvent
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spool's own thread. A message's files are written here, so a slow or full disk holds up only the
/// session waiting for its `250`, never the loop and the other sessions on it. Jobs run in the order given;
/// the continuations of one batch go back to the loop in one hand-over. With `sync` a batch ends with one
/// `syncfs` (group commit) before any of its continuations run. The thread ends when it has nothing to do
/// and starts again with the next job, so an idle host holds no thread for it.
final class SpoolWriter: @unchecked Sendable {
    /// Work for the spool thread: what it returns runs on `loop` after the batch is written (and synced).
    struct Job {
        var loop: EventLoop?
        var write: () -> SpoolWriter.Continuation?
    }

    /// Runs on the loop once the batch holding its job is on disk; told whether the batch's sync failed.
    typealias Continuation = @Sendable (_ syncFailure: SpoolError?) -> Void

    let directory: String
    let sync: Bool
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var running = false
    /// A batch taken from `jobs` is being written.
    private var busy = false

    init(directory: String, sync: Bool) {
        self.directory = directory
        self.sync = sync
    }

    func submit(_ job: Job) {
        condition.lock()
        jobs.append(job)
        if running {
            condition.signal()
        } else {
            running = true
            let thread = Thread { [self] in run() }
            thread.name = "mockmx-spool"
            thread.start()
        }
        condition.unlock()
    }

    /// Blocks until every job submitted so far is written (their continuations may still be on their way).
    func drain() {
        condition.lock()
        while !jobs.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while let batch = nextBatch() {
            var continuations: [(EventLoop, Continuation)] = []
            for job in batch {
                if let continuation = job.write(), let loop = job.loop { continuations.append((loop, continuation)) }
            }
            let failure = sync ? SpoolWriter.syncFileSystem(of: directory) : nil
            if !continuations.isEmpty {
                // One loop per host; a batch is handed over per loop it names, in order.
                var index = 0
                while index < continuations.count {
                    let loop = continuations[index].0
                    var members: [Continuation] = []
                    while index < continuations.count, continuations[index].0 === loop {
                        members.append(continuations[index].1)
                        index += 1
                    }
                    let group = members
                    loop.execute { for continuation in group { continuation(failure) } }
                }
            }
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The queued jobs, or nil (and the thread ends) after a short idle wait.
    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        if jobs.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.2)) }
        guard !jobs.isEmpty else {
            running = false
            return nil
        }
        busy = true
        defer { jobs.removeAll(keepingCapacity: true) }
        return jobs
    }

    private static func syncFileSystem(of directory: String) -> SpoolError? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return SpoolError("open \(directory)", errno: errno) }
        defer { close(fd) }
        return mockmx_syncfs(fd) == 0 ? nil : SpoolError("syncfs \(directory)", errno: errno)
    }

    /// Writes `bytes` to `directory/name`: through a temporary name and `rename` when `atomically`, so
    /// a reader never sees the file half written. Plain POSIX calls: Foundation's atomic write made a
    /// temporary directory per file and cost about a millisecond each.
    static func write(_ bytes: UnsafeRawBufferPointer, to directory: String, name: String, atomically: Bool)
        throws(SpoolError)
    {
        let path = directory + "/" + name
        let target = atomically ? directory + "/." + name + ".tmp" : path
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError("open \(target)", errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let error = SpoolError("write \(target)", errno: count < 0 ? errno : EIO)
                close(fd)
                unlink(target)
                throw error
            }
            offset += count
        }
        guard close(fd) == 0 else {
            let error = SpoolError("close \(target)", errno: errno)
            unlink(target)
            throw error
        }
        if atomically, rename(target, path) != 0 {
            let error = SpoolError("rename \(target)", errno: errno)
            unlink(target)
            throw error
        }
    }
}

/// A spool file that could not be written, with the system's reason (`No space left on device`).
struct SpoolError: Error, CustomStringConvertible {
    var description: String

    init(description: String) {
        self.description = description
    }

    init(_ what: String, errno code: Int32) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}
