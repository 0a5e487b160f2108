import CLibEvent
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MockMXScenario
import SMTPProtocol

/// The proxy's own client session toward its upstream host: one TCP connection on the host's loop (a
/// socket bufferevent), commands written as the client's session relays them, replies read with
/// ``SMTPReplyReader``. At most one request is outstanding; its outcome — a reply, or why none will
/// come — is handed to the closure given with it. Every wait is bounded (connect and reply timeouts), so
/// a dead or silent upstream ends in a failure the client session turns into a relay's `4xx`.
/// Confined to the loop thread; the owner calls ``close(because:)`` before letting it go.
final class UpstreamLink {
    enum Outcome {
        case reply(SMTPReply)
        /// Why the upstream session is gone (it stays gone: ``failure``).
        case failed(String)
    }

    let settings: UpstreamSettings
    /// Set once the upstream session is lost; every later request fails at once.
    private(set) var failure: String?
    private var bufferEvent: OpaquePointer?
    private var reader = SMTPReplyReader()
    private var awaiting: ((Outcome) -> Void)?
    /// STARTTLS was answered `220`: the handshake runs, and its end is the outcome.
    private var handshaking: SMTPReply?
    /// The session runs over TLS (after STARTTLS toward the upstream).
    private(set) var isTLS = false
    /// The upstream's EHLO reply offered STARTTLS (before its TLS began).
    var offeredTLS = false
    /// Its last EHLO reply offered PIPELINING: a client's pipelined group may go up in one write.
    var offersPipelining = false
    /// Command lines written ahead of their turn (a pipelined group), in order: their replies are read as
    /// the session reaches each of them.
    var sentAhead: [[UInt8]] = []
    private let timer: LoopTimer
    private let base: OpaquePointer

    /// Real milliseconds for the timeouts (`--clock-scale`); `settings` keeps the nominal ones for the texts.
    private let connectTimeout: Int
    private let replyTimeout: Int

    init(loop: EventLoop, settings: UpstreamSettings, realMilliseconds: (Int) -> Int = { $0 }) {
        self.settings = settings
        self.connectTimeout = realMilliseconds(settings.connectTimeoutMilliseconds)
        self.replyTimeout = realMilliseconds(settings.replyTimeoutMilliseconds)
        self.base = loop.base
        self.timer = LoopTimer(loop: loop)
    }

    deinit {
        if let bufferEvent { bufferevent_free(bufferEvent) }
    }

    /// Connects and waits for the greeting.
    func connect(then completion: @escaping (Outcome) -> Void) {
        awaiting = completion
        guard var (storage, length) = settings.address.socketAddress,
              let bufferEvent = bufferevent_socket_new(base, -1, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        else { return failSoon("cannot create a socket") }
        install(bufferEvent)
        timer.schedule(milliseconds: connectTimeout) { [unowned self] in
            fail("no connection within \(settings.connectTimeoutMilliseconds) ms")
        }
        let started = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bufferevent_socket_connect(bufferEvent, $0, Int32(length))
            }
        }
        if started != 0 { failSoon("connection failed: \(String(cString: strerror(errno)))") }
    }

    private func install(_ bufferEvent: OpaquePointer) {
        self.bufferEvent = bufferEvent
        let context = Unmanaged.passUnretained(self).toOpaque()
        bufferevent_setcb(
            bufferEvent,
            { _, context in
                let link = Unmanaged<UpstreamLink>.fromOpaque(context!).takeUnretainedValue()
                withExtendedLifetime(link) { link.readable() }
            },
            nil,
            { bufferEvent, events, context in
                let link = Unmanaged<UpstreamLink>.fromOpaque(context!).takeUnretainedValue()
                withExtendedLifetime(link) { link.event(events, fd: bufferevent_getfd(bufferEvent)) }
            },
            context)
        bufferevent_enable(bufferEvent, Int16(EV_READ))
    }

    /// Sends STARTTLS; on `220` runs the TLS handshake (the certificate verified only with `verify:`: upstreams
    /// in tests have their own) and hands over the `220` once it is done. Another reply is handed over as it is.
    func startTLS(then completion: @escaping (Outcome) -> Void) {
        send(Array("STARTTLS\r\n".utf8)) { [unowned self] outcome in
            guard case .reply(let reply) = outcome, reply.code == 220, let plain = bufferEvent else {
                return completion(outcome)
            }
            // The socket moves to a TLS bufferevent; nothing is queued on the plain one after the 220.
            let fd = bufferevent_getfd(plain)
            bufferevent_setfd(plain, -1)
            bufferevent_free(plain)
            bufferEvent = nil
            let ssl: OpaquePointer
            switch makeSSL() {
            case .success(let made): ssl = made
            case .failure(let problem):
                Glibc.close(fd)
                awaiting = completion
                return failSoon("TLS cannot be set up: \(problem.reason)")
            }
            guard let tls = bufferevent_openssl_socket_new(
                base, fd, ssl, BUFFEREVENT_SSL_CONNECTING, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
            else {
                SSL_free(ssl)
                Glibc.close(fd)
                awaiting = completion
                return failSoon("TLS cannot be set up: \(TLSContext.openSSLErrors())")
            }
            bufferevent_openssl_set_allow_dirty_shutdown(tls, 1)
            reader = SMTPReplyReader()
            awaiting = completion
            handshaking = reply
            install(tls)
            timer.schedule(milliseconds: replyTimeout) { [unowned self] in
                fail("no TLS handshake within \(settings.replyTimeoutMilliseconds) ms")
            }
        }
    }

    /// Protocol and cipher of the upstream session's TLS.
    var tlsDescription: String {
        guard let bufferEvent, let ssl = bufferevent_openssl_get_ssl(bufferEvent) else { return "?" }
        let cipher = SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "?"
        let verified = !settings.verify ? "" : ", certificate verified" + (settings.serverName.map { " for \($0)" } ?? "")
        return "\(String(cString: SSL_get_version(ssl))), \(cipher)\(verified)"
    }

    /// One client context for every upstream session that does not verify: TLS 1.2 or later.
    private nonisolated(unsafe) static let clientContext: OpaquePointer? = {
        let context = SSL_CTX_new(TLS_client_method())
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        _ = mockmx_ssl_ctx_set_min_proto(context, TLS1_2_VERSION)
        return context
    }()

    struct TLSSetupFailure: Error {
        var reason: String
    }

    /// The session's TLS object: with `verify:`, from a context of its own that trusts `ca-file:` (or the
    /// system's CAs) and checks `server-name:` — made per session, so only scenarios that verify pay for it.
    private func makeSSL() -> Result<OpaquePointer, TLSSetupFailure> {
        guard settings.verify else {
            guard let ssl = SSL_new(UpstreamLink.clientContext) else {
                return .failure(TLSSetupFailure(reason: TLSContext.openSSLErrors()))
            }
            return .success(ssl)
        }
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            return .failure(TLSSetupFailure(reason: TLSContext.openSSLErrors()))
        }
        defer { SSL_CTX_free(context) }  // the SSL object keeps its own reference
        _ = mockmx_ssl_ctx_set_min_proto(context, TLS1_2_VERSION)
        let loaded = settings.caFile.map { SSL_CTX_load_verify_locations(context, $0, nil) }
            ?? SSL_CTX_set_default_verify_paths(context)
        guard loaded == 1 else {
            let source = settings.caFile.map { "ca-file \($0)" } ?? "the system's CA certificates"
            return .failure(TLSSetupFailure(reason: "cannot load \(source): \(TLSContext.openSSLErrors())"))
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard let ssl = SSL_new(context) else { return .failure(TLSSetupFailure(reason: TLSContext.openSSLErrors())) }
        if let name = settings.serverName, SSL_set1_host(ssl, name) != 1 || mockmx_ssl_set_sni(ssl, name) != 1 {
            SSL_free(ssl)
            return .failure(TLSSetupFailure(reason: "cannot check the name \(name): \(TLSContext.openSSLErrors())"))
        }
        return .success(ssl)
    }

    /// Why the handshake failed: OpenSSL's verify error when the certificate was refused.
    private func handshakeFailure(_ bufferEvent: OpaquePointer?, tlsError: UInt) -> String {
        if settings.verify, let bufferEvent, let ssl = bufferevent_openssl_get_ssl(bufferEvent) {
            let result = SSL_get_verify_result(ssl)
            if result != X509_V_OK {
                return "certificate verification failed: \(String(cString: X509_verify_cert_error_string(result)))"
            }
        }
        return tlsError != 0 ? TLSContext.describe(tlsError) : String(cString: strerror(errno))
    }

    /// Writes `line` (a command, a chunk's header) then `content` (a message, a blob, a chunk) and waits for
    /// the reply.
    func send(_ line: [UInt8], content: [UInt8] = [], then completion: @escaping (Outcome) -> Void) {
        guard failure == nil, let bufferEvent else {
            let reason = failure ?? "not connected"
            timer.schedule(milliseconds: 0) { completion(.failed(reason)) }
            return
        }
        awaiting = completion
        let output = bufferevent_get_output(bufferEvent)
        Self.addReference(to: line, in: output)
        Self.addReference(to: content, in: output)
        timer.schedule(milliseconds: replyTimeout) { [unowned self] in
            fail("no reply within \(settings.replyTimeoutMilliseconds) ms")
        }
        // A reply that came before it was asked for (a pipelining upstream, a 421 on its own) is read now.
        readable()
    }

    /// Ends the upstream session (the upstream sees the connection close); a pending request gets nothing.
    func close(because reason: String) {
        awaiting = nil
        handshaking = nil
        timer.cancel()
        if failure == nil { failure = reason }
        if let bufferEvent { bufferevent_free(bufferEvent) }
        bufferEvent = nil
    }

    private func event(_ events: Int16, fd: Int32) {
        if events & Int16(BEV_EVENT_CONNECTED) != 0, let reply = handshaking {
            handshaking = nil
            isTLS = true
            deliver(.reply(reply))
        } else if events & Int16(BEV_EVENT_CONNECTED) != 0 {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            timer.schedule(milliseconds: replyTimeout) { [unowned self] in
                fail("no greeting within \(settings.replyTimeoutMilliseconds) ms")
            }
        } else if events & Int16(BEV_EVENT_EOF) != 0 {
            readable()
            fail("the upstream closed the connection")
        } else if events & Int16(BEV_EVENT_ERROR) != 0 {
            let tlsError = bufferEvent.map { bufferevent_get_openssl_error($0) } ?? 0
            guard handshaking == nil else {
                return fail("TLS handshake failed: \(handshakeFailure(bufferEvent, tlsError: tlsError))")
            }
            let reason = tlsError != 0 ? TLSContext.describe(tlsError) : String(cString: strerror(errno))
            fail("connection failed: \(reason)")
        }
    }

    /// Moves what arrived into the reader and hands over a complete reply when one is awaited.
    private func readable() {
        guard let bufferEvent, awaiting != nil, handshaking == nil else { return }
        let input = bufferevent_get_input(bufferEvent)
        var chunk: [UInt8] = []
        while true {
            do {
                if let reply = try reader.next() { return deliver(.reply(reply)) }
            } catch {
                return fail("the upstream sent \(error)")
            }
            let available = evbuffer_get_length(input)
            guard available > 0 else { return }
            if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: min(available, 16_384)) }
            let count = chunk.withUnsafeMutableBytes { evbuffer_remove(input, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            reader.receive(chunk.prefix(Int(count)))
        }
    }

    private func deliver(_ outcome: Outcome) {
        timer.cancel()
        let completion = awaiting
        awaiting = nil
        completion?(outcome)
    }

    /// A failure found while a request is being made is reported from the loop, not from inside the call.
    private func failSoon(_ reason: String) {
        timer.schedule(milliseconds: 0) { [unowned self] in fail(reason) }
    }

    private func fail(_ reason: String) {
        guard failure == nil else { return }
        let completion = awaiting
        close(because: reason)
        completion?(.failed(reason))
    }
}

extension UpstreamLink {
    /// The output buffer refers to the bytes instead of copying them (a relayed message is large); they are
    /// released once libevent has sent them.
    fileprivate static func addReference(to bytes: [UInt8], in output: OpaquePointer?) {
        guard !bytes.isEmpty else { return }
        let held = Unmanaged.passRetained(SentBytes(bytes))
        let added = held.takeUnretainedValue().bytes.withUnsafeBytes {
            evbuffer_add_reference(
                output, $0.baseAddress, $0.count,
                { _, _, context in Unmanaged<SentBytes>.fromOpaque(context!).release() }, held.toOpaque())
        }
        if added != 0 { held.release() }
    }
}

/// Bytes the upstream's output buffer refers to until they are sent: a class, so the array's storage stays
/// put and alive while libevent holds its address.
private final class SentBytes {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }
}
