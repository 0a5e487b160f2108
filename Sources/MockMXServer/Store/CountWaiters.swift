import Foundation

/// Callers waiting for a counter to reach a value, each with a timeout. Thread-safe.
final class CountWaiters: @unchecked Sendable {
    private struct Waiter {
        var target: Int
        var resume: @Sendable (Bool) -> Void
    }

    private let lock = NSLock()
    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0
    /// No waiter's target is below this: every stored message calls `reached`, and with a hundred API clients
    /// long-polling for a count far ahead it returns here without looking at them.
    private var lowestTarget = Int.max

    /// Resumes every waiter whose target is reached.
    func reached(_ value: Int) {
        lock.lock()
        guard value >= lowestTarget else { return lock.unlock() }
        let due = waiters.filter { $0.value.target <= value }
        for id in due.keys { waiters[id] = nil }
        lowestTarget = waiters.values.lazy.map(\.target).min() ?? .max
        lock.unlock()
        for waiter in due.values { waiter.resume(true) }
    }

    /// Calls `resume(true)` once `current()` reaches `target`, or `resume(false)` after the timeout.
    func wait(for target: Int, timeout: Duration, current: () -> Int, resume: @escaping @Sendable (Bool) -> Void) {
        lock.lock()
        let id = nextID
        nextID += 1
        waiters[id] = Waiter(target: target, resume: resume)
        lowestTarget = min(lowestTarget, target)
        lock.unlock()
        // Checked after registering, so a value reached in between is not missed.
        if current() >= target {
            reached(current())
            return
        }
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(id)
        }
    }

    func wait(for target: Int, timeout: Duration, current: () -> Int) async -> Bool {
        await withCheckedContinuation { continuation in
            wait(for: target, timeout: timeout, current: current) { continuation.resume(returning: $0) }
        }
    }

    private func expire(_ id: Int) {
        lock.lock()
        let waiter = waiters.removeValue(forKey: id)
        lock.unlock()
        waiter?.resume(false)
    }
}
