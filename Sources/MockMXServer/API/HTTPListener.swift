import CLibEvent
import Foundation

/// An evhttp server on its own listening socket, set up one way for the control API and the Mailpit-compatible
/// API: bound like the SMTP listeners (``SocketAddress/listen(on:base:backlog:purpose:callback:context:)``),
/// every method passed to the router (which answers 405 with an Allow header; evhttp's default would answer
/// 501 for PATCH or OPTIONS), bounded bodies and headers, and a timeout so a stalled client holds one socket,
/// never the loop.
enum HTTPListener {
    /// The evhttp server and the address it is bound to; the caller sets its callback with `evhttp_set_gencb`.
    static func open(
        on address: String, base: OpaquePointer, purpose: String, timeoutMilliseconds: Int
    ) throws -> (http: OpaquePointer, bound: BoundAddress) {
        let (listener, bound) = try SocketAddress.listen(on: address, base: base, backlog: 128, purpose: purpose)
        guard let http = evhttp_new(base) else {
            evconnlistener_free(listener)
            throw HostError("evhttp_new failed")
        }
        // evhttp owns the listener from here on.
        guard evhttp_bind_listener(http, listener) != nil else {
            evconnlistener_free(listener)
            evhttp_free(http)
            throw HostError("cannot \(purpose) on \(address)")
        }
        evhttp_set_max_body_size(http, ControlAPI.maxBodySize)
        evhttp_set_max_headers_size(http, evhttpMaxHeadersSize)
        let methods: [evhttp_cmd_type] = [
            EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_HEAD, EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE,
            EVHTTP_REQ_OPTIONS, EVHTTP_REQ_TRACE, EVHTTP_REQ_CONNECT, EVHTTP_REQ_PATCH,
        ]
        evhttp_set_allowed_methods(http, UInt16(methods.reduce(0) { $0 | $1.rawValue }))
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: timeoutMilliseconds % 1000 * 1000)
        evhttp_set_timeout_tv(http, &timeout)
        // Reads an oversized body to its end before answering 413, so the client sees the answer, not a reset.
        evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE)
        return (http, bound)
    }

    /// What evhttp reads of the request line and headers at all (its default is unbounded); beyond it evhttp
    /// answers `400` itself.
    private static let evhttpMaxHeadersSize = 256 << 10
}
