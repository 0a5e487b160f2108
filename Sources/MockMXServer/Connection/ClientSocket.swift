import CLibEvent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP client connection on two libevent events rather than a bufferevent.
///
/// Reads go from the kernel through the loop's one read buffer straight into the session, and a reply
/// goes to the kernel at once when nothing is queued before it. A bufferevent keeps two evbuffers and
/// about 1 KB per connection, asks `FIONREAD` before every read, and sends each reply only on a later
/// loop pass after arming `EV_WRITE` (two `epoll_ctl` calls per reply). TLS connections keep
/// `bufferevent_openssl`. Confined to the loop thread; the owner frees it with ``close(reset:)`` or
/// ``detach()``.
struct ClientSocket {
    enum ReadResult {
        /// The bytes read, in the caller's buffer.
        case data(UnsafeBufferPointer<UInt8>)
        case wouldBlock
        /// The client closed its side (`read` returned 0) or the connection failed.
        case ended(error: Bool)

        /// The first `count` bytes a read left in `buffer`.
        static func prefix(_ count: Int, of buffer: UnsafeMutableRawBufferPointer) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self).baseAddress, count: count)
        }
    }

    enum FlushResult { case drained, pending, failed }

    let fd: Int32
    private let base: OpaquePointer
    private let context: UnsafeMutableRawPointer
    private let onWritable: event_callback_fn
    private let readEvent: OpaquePointer
    /// Made when output first backs up: most sessions never need it.
    private var writeEvent: OpaquePointer?
    /// Output the kernel has not taken yet, from `pendingStart` on.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var writeFailed = false
    /// Writes are only queued until ``uncork()``.
    private var isCorked = false
    private(set) var isReading = false

    /// `onReadable` gets `EV_READ` or `EV_TIMEOUT`; `onWritable` is called when queued output can move.
    init(
        base: OpaquePointer, fd: Int32, context: UnsafeMutableRawPointer,
        onReadable: event_callback_fn, onWritable: event_callback_fn
    ) {
        self.fd = fd
        self.base = base
        self.context = context
        self.onWritable = onWritable
        self.readEvent = event_new(base, fd, Int16(EV_READ | EV_PERSIST), onReadable, context)
    }

    var outputLength: Int { pending.count - pendingStart }

    /// Watches for input; with no input for `timeoutMilliseconds` the callback gets `EV_TIMEOUT` (a
    /// persistent event restarts its timeout each time it fires). Calling it again changes the timeout.
    mutating func startReading(timeoutMilliseconds: Int) {
        var timeout = timeval(milliseconds: timeoutMilliseconds)
        event_add(readEvent, &timeout)
        isReading = true
    }

    mutating func stopReading() {
        guard isReading else { return }
        event_del(readEvent)
        isReading = false
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .data(ReadResult.prefix(count, of: buffer)) }
            if count == 0 { return .ended(error: false) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .ended(error: true)
            }
        }
    }

    /// Sends what the kernel takes now and queues the rest (all of it while corked). A failed send is
    /// reported by the write callback on the next loop pass, not here, where the caller is in the middle
    /// of a step.
    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !writeFailed else { return }
        var sent = 0
        if outputLength == 0, !isCorked {
            switch send(bytes) {
            case .some(let count): sent = count
            case .none:
                writeFailed = true
                armWriteEvent(activateNow: true)
                return
            }
        }
        guard sent < bytes.count else { return }
        pending.append(contentsOf: bytes[sent...])
        if !isCorked { armWriteEvent(activateNow: false) }
    }

    /// Holds writes back until ``uncork()``: the replies to a pipelined group then leave in one send.
    mutating func cork() {
        isCorked = true
    }

    /// Sends what was queued while corked; what the kernel does not take waits for the write event.
    mutating func uncork() -> FlushResult {
        isCorked = false
        guard outputLength > 0 else { return writeFailed ? .failed : .drained }
        let result = flush()
        if result == .pending { armWriteEvent(activateNow: false) }
        return result
    }

    /// From the write callback: moves queued output to the kernel.
    mutating func flush() -> FlushResult {
        if writeFailed { return .failed }
        while outputLength > 0 {
            let sent = pending.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[pendingStart...])) }
            guard let sent else {
                writeFailed = true
                return .failed
            }
            if sent == 0 { return .pending }
            pendingStart += sent
        }
        pending = []
        pendingStart = 0
        if let writeEvent { event_del(writeEvent) }
        return .drained
    }

    /// Frees the events and closes the socket; `reset` sends RST instead of FIN (`SO_LINGER` 0).
    mutating func close(reset: Bool) {
        let fd = detach()
        if reset {
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(fd)
    }

    /// Frees the events and hands the socket over (to a TLS bufferevent); queued output is dropped.
    mutating func detach() -> Int32 {
        event_free(readEvent)
        if let writeEvent { event_free(writeEvent) }
        writeEvent = nil
        isReading = false
        pending = []
        pendingStart = 0
        return fd
    }

    /// Bytes the kernel took (0 when its buffer is full), or nil when the connection failed.
    private func send(_ bytes: UnsafeRawBufferPointer) -> Int? {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: return nil
            }
        }
    }

    private mutating func armWriteEvent(activateNow: Bool) {
        if writeEvent == nil {
            writeEvent = event_new(base, fd, Int16(EV_WRITE | EV_PERSIST), onWritable, context)
        }
        if activateNow {
            event_active(writeEvent, Int32(EV_WRITE), 0)
        } else {
            event_add(writeEvent, nil)
        }
    }
}
