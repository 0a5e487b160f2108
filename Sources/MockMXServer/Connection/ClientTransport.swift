import CLibEvent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one client connection, over a plain socket (``ClientSocket``, the fast path) or a
/// `bufferevent_openssl` (implicit TLS, or after STARTTLS). The connection reads, writes, pauses and closes
/// through it without asking which; the libevent callbacks land in the connection's transport handlers.
/// Confined to the loop thread.
struct ClientTransport {
    typealias ReadResult = ClientSocket.ReadResult
    typealias FlushResult = ClientSocket.FlushResult

    /// The plain connection; nil once TLS took over the socket.
    private var socket: ClientSocket?
    /// The TLS connection.
    private var bufferEvent: OpaquePointer?
    private let base: OpaquePointer
    /// The connection's address, handed to every callback; set when it opens.
    private var context: UnsafeMutableRawPointer?

    /// Not open yet.
    init(base: OpaquePointer) {
        self.base = base
    }

    /// Open: a connection's bytes go through it; closed ones and failed TLS set-ups are not.
    var isOpen: Bool { socket != nil || bufferEvent != nil }

    /// A plain connection on `fd`; `context` is the ``SMTPConnection`` the callbacks go to.
    mutating func openPlain(_ fd: Int32, context: UnsafeMutableRawPointer) {
        self.context = context
        socket = ClientSocket(
            base: base, fd: fd, context: context,
            onReadable: { _, events, context in
                let connection = Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue()
                if events & Int16(EV_TIMEOUT) != 0 { connection.readTimedOut() } else { connection.readable() }
            },
            onWritable: { _, _, context in
                Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().plainSocketWritable()
            })
    }

    /// A TLS connection accepting its handshake on `fd`; false (and `fd` closed) when TLS cannot be set up.
    mutating func openTLS(_ fd: Int32, tls tlsContext: TLSContext, context: UnsafeMutableRawPointer) -> Bool {
        self.context = context
        guard let bufferEvent = ClientTransport.makeTLSBufferEvent(fd: fd, context: tlsContext, base: base) else {
            Glibc.close(fd)
            return false
        }
        self.bufferEvent = bufferEvent
        return true
    }

    /// Is the connection over TLS.
    var isTLS: Bool { bufferEvent != nil }

    /// Whether a read goes to the kernel (plain) rather than to input a bufferevent already holds (TLS).
    var readsFromKernel: Bool { socket != nil }

    /// Watches for input, with the idle (read) timeout; a bufferevent also gets its callbacks here.
    mutating func startReading(timeoutMilliseconds: Int) {
        if socket != nil { return socket!.startReading(timeoutMilliseconds: timeoutMilliseconds) }
        guard let bufferEvent else { return }
        bufferevent_setcb(
            bufferEvent,
            { _, context in Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().readable() },
            { _, context in Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().writable() },
            { _, events, context in
                let connection = Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue()
                if events & Int16(BEV_EVENT_CONNECTED) != 0 {
                    connection.handshakeCompleted()
                } else if events & Int16(BEV_EVENT_TIMEOUT) != 0 {
                    // A bufferevent stops reading when its timeout fires; the connection decides whether to go on.
                    connection.readTimedOut()
                } else if events & Int16(BEV_EVENT_EOF | BEV_EVENT_ERROR) != 0 {
                    connection.connectionEnded(error: events & Int16(BEV_EVENT_EOF) == 0)
                }
            },
            context)
        bufferevent_setwatermark(bufferEvent, Int16(EV_READ), 0, ClientTransport.heldInputLimit)
        setReadTimeout(milliseconds: timeoutMilliseconds)
        bufferevent_enable(bufferEvent, Int16(EV_READ | EV_WRITE))
    }

    /// Changes the read timeout (the idle timeout, or the hold limit of a withheld session).
    mutating func setReadTimeout(milliseconds: Int) {
        if socket != nil { return socket!.startReading(timeoutMilliseconds: milliseconds) }
        var timeout = timeval(milliseconds: milliseconds)
        bufferevent_set_timeouts(bufferEvent, &timeout, nil)
    }

    /// After a bufferevent's read timeout fired: reading goes on.
    func resumeAfterTimeout() {
        if let bufferEvent { bufferevent_enable(bufferEvent, Int16(EV_READ)) }
    }

    /// Reads again if a plain socket stopped while input was held back during a step.
    mutating func resumeReading(timeoutMilliseconds: Int) {
        if socket?.isReading == false { socket!.startReading(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// The client's bytes stay in the kernel (a stall fills its TCP window; after STARTTLS the ClientHello is
    /// for the TLS connection). A bufferevent has its own watermark and needs nothing here.
    mutating func leaveInputInKernel() {
        socket?.stopReading()
    }

    mutating func stopReading() {
        socket?.stopReading()
        if let bufferEvent { bufferevent_disable(bufferEvent, Int16(EV_READ)) }
    }

    /// One read: from the kernel into `buffer` (plain), or what the bufferevent holds, up to `buffer`'s size.
    /// A TLS connection's end is reported by its event callback, never here.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        if let socket { return socket.read(into: buffer) }
        guard let input = bufferevent_get_input(bufferEvent) else { return .wouldBlock }
        let count = evbuffer_remove(input, buffer.baseAddress, buffer.count)
        guard count > 0 else { return .wouldBlock }
        return .data(ReadResult.prefix(Int(count), of: buffer))
    }

    /// Bytes written and not yet taken by the kernel (or by OpenSSL).
    var outputLength: Int {
        if let pending = socket?.outputLength { return pending }
        guard let bufferEvent, let output = bufferevent_get_output(bufferEvent) else { return 0 }
        return evbuffer_get_length(output)
    }

    mutating func write(_ bytes: [UInt8]) {
        if socket != nil {
            bytes.withUnsafeBytes { socket!.write($0) }
        } else if let bufferEvent {
            bytes.withUnsafeBytes { _ = bufferevent_write(bufferEvent, $0.baseAddress, $0.count) }
        }
    }

    /// Holds a plain socket's writes until ``uncork()``: replies to one read leave in one send.
    mutating func cork() {
        socket?.cork()
    }

    /// nil for TLS, whose bufferevent sends on its own.
    mutating func uncork() -> FlushResult? {
        socket?.uncork()
    }

    /// A plain socket's write event: queued output can move.
    mutating func flush() -> FlushResult? {
        socket?.flush()
    }

    /// Swaps the plain socket for a TLS bufferevent on the same descriptor. Whatever the plain socket had
    /// queued or the client had pipelined in plaintext is dropped (CVE-2011-0411). False when TLS cannot be
    /// set up; the descriptor is closed then.
    mutating func startTLS(_ tlsContext: TLSContext, idleTimeoutMilliseconds: Int) -> Bool {
        guard let fd = socket?.detach() else { return false }
        socket = nil
        guard let tls = ClientTransport.makeTLSBufferEvent(fd: fd, context: tlsContext, base: base) else {
            Glibc.close(fd)
            return false
        }
        bufferEvent = tls
        startReading(timeoutMilliseconds: idleTimeoutMilliseconds)
        return true
    }

    /// The protocol version and cipher once the handshake is done.
    var tlsDescription: String? {
        guard let ssl = bufferevent_openssl_get_ssl(bufferEvent) else { return nil }
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "?"
        return "\(version), \(cipher)"
    }

    /// Why the TLS connection failed, as OpenSSL tells it.
    func tlsErrors() -> String {
        var messages: [String] = []
        while case let code = bufferevent_get_openssl_error(bufferEvent), code != 0 {
            messages.append(TLSContext.describe(code))
        }
        let queued = TLSContext.openSSLErrors()
        if queued != "no detail" { messages.append(queued) }
        return messages.isEmpty ? "the client closed the connection" : messages.joined(separator: "; ")
    }

    /// Frees the events and closes the socket; `reset` sends RST instead of FIN (`SO_LINGER` 0).
    mutating func close(reset: Bool) {
        socket?.close(reset: reset)
        socket = nil
        if let bufferEvent {
            if reset {
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(
                    bufferevent_getfd(bufferEvent), SOL_SOCKET, SO_LINGER, &linger,
                    socklen_t(MemoryLayout<linger>.size))
            }
            bufferevent_free(bufferEvent)
            self.bufferEvent = nil
        }
    }

    /// Input read ahead while a step is in progress (a plain socket's held input, a TLS bufferevent's read
    /// watermark); beyond it the host stops reading (TCP back-pressure).
    static let heldInputLimit = 256 * 1024

    private static func makeTLSBufferEvent(fd: Int32, context: TLSContext, base: OpaquePointer) -> OpaquePointer? {
        guard let ssl = SSL_new(context.context) else { return nil }
        let tls = bufferevent_openssl_socket_new(
            base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        // Clients that close without close_notify are ordinary for SMTP; it is not a read error.
        bufferevent_openssl_set_allow_dirty_shutdown(tls, 1)
        return tls
    }
}
