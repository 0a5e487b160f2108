import CLibEvent
import Foundation

/// One libevent `event_base` running on its own thread. Everything that touches libevent objects runs
/// on that thread; other threads hand work over with `execute`, which wakes the loop through a user
/// event (`event_active` is thread-safe once `evthread_use_pthreads` ran before the base was made).
final class EventLoop: @unchecked Sendable {
    let base: OpaquePointer
    private var wakeEvent: OpaquePointer!
    private let lock = NSLock()
    private var queue: [@Sendable () -> Void] = []
    /// Set once the loop has ended: work handed over later would never run, and would keep alive
    /// whatever it captured (a stopped host), so it is dropped instead.
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    /// Where plain connections read into before their bytes go to the session: one per loop (its
    /// connections run one at a time) instead of an input buffer per connection.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)

    private static let threadingReady: Void = {
        evthread_use_pthreads()
        signal(SIGPIPE, SIG_IGN)
    }()

    init() throws {
        _ = EventLoop.threadingReady
        guard let base = event_base_new() else { throw HostError("event_base_new failed") }
        self.base = base
        let context = Unmanaged.passUnretained(self).toOpaque()
        wakeEvent = event_new(base, -1, Int16(EV_PERSIST), { _, _, context in
            Unmanaged<EventLoop>.fromOpaque(context!).takeUnretainedValue().runQueued()
        }, context)
        // Keeps the loop alive while it has nothing else to wait for.
        var forever = timeval(tv_sec: 86_400 * 365, tv_usec: 0)
        event_add(wakeEvent, &forever)
    }

    deinit {
        event_free(wakeEvent)
        event_base_free(base)
        readBuffer.deallocate()
    }

    /// Starts the loop thread; returns at once.
    func start(name: String) {
        let thread = Thread { [self] in
            event_base_dispatch(base)
            lock.lock()
            stopped = true
            queue.removeAll()
            lock.unlock()
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        // Not kept: the thread holds the loop while it runs, and a stored thread would hold it forever.
        thread.start()
    }

    /// Runs `work` on the loop thread.
    func execute(_ work: @escaping @Sendable () -> Void) {
        lock.lock()
        guard !stopped else {
            lock.unlock()
            return
        }
        queue.append(work)
        lock.unlock()
        event_active(wakeEvent, Int32(EV_READ), 0)
    }

    /// Ends the loop (from the loop thread) once the current callbacks return.
    func stopFromLoop() {
        event_base_loopbreak(base)
    }

    /// Blocks until the loop thread has left the loop.
    func waitUntilStopped() {
        finished.wait()
        finished.signal()
    }

    private func runQueued() {
        lock.lock()
        let work = queue
        queue.removeAll()
        lock.unlock()
        for item in work { item() }
    }
}

/// A value that is only ever used on the event-loop thread, handed across in a Sendable closure.
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A one-shot or re-armable timer on the loop.
final class LoopTimer {
    private var event: OpaquePointer?
    private var action: (() -> Void)?

    init(loop: EventLoop) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        event = mockmx_evtimer_new(loop.base, { _, _, context in
            let timer = Unmanaged<LoopTimer>.fromOpaque(context!).takeUnretainedValue()
            let action = timer.action
            timer.action = nil
            action?()
        }, context)
    }

    deinit {
        if let event { event_free(event) }
    }

    func schedule(milliseconds: Int, _ action: @escaping () -> Void) {
        self.action = action
        var interval = timeval(milliseconds: milliseconds)
        mockmx_evtimer_add(event, &interval)
    }

    func cancel() {
        action = nil
        mockmx_evtimer_del(event)
    }

    var isPending: Bool { action != nil }
}

/// An error a person can act on.
public struct HostError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension timeval {
    /// libevent's timeouts are `timeval`s; mockmx's durations are milliseconds.
    init(milliseconds: Int) {
        self.init(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}
