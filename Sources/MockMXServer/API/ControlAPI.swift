import CLibEvent
import Foundation

/// The HTTP/JSON control API: libevent's evhttp on the host's own event loop, so every handler runs on
/// the loop thread beside the connections it describes and never needs a lock to read their state.
///
/// Loop-confined. Created by `HostRuntime.bind()` before the loop thread starts and closed on the loop
/// when the host stops. Routes are in `ControlAPI+Routes.swift`, one file per concern after that.
final class ControlAPI {
    let bound: BoundAddress
    unowned let runtime: HostRuntime
    private let token: String?
    private var http: OpaquePointer?
    /// Long polls (`/api/v1/wait`) not answered yet, by their number.
    var pendingWaits: [Int: PendingWait] = [:]
    var nextWaitNumber = 0
    lazy var routes: [APIRoute] = makeRoutes() + makeUIRoutes()
    /// The change sequence the web UI long-polls on (`ControlAPI+UI.swift`).
    lazy var changes = ChangeTracker(loop: runtime.loop)
    /// Listeners recording their sessions into a scenario, by name (`ControlAPI+Record.swift`).
    var recordings: [String: Recording] = [:]

    /// The largest body evhttp reads at all; beyond it evhttp answers `413` itself (libevent 2.1 has no hook
    /// for its own error pages, so that one is HTML). Below it each endpoint's own limit answers `413` in JSON
    /// (``APIRoute/Endpoint/maxBodySize``), so the usual mistakes (a scenario a little too big, a body sent
    /// where none is read) get a JSON answer naming the limit.
    static let maxBodySize = 2 << 20
    /// The body of a scenario (`PUT …/scenario`).
    static let maxScenarioSize = 1 << 20
    /// The body of any other request, which none reads (a client may send `{}` with a POST).
    static let maxIgnoredBodySize = 64 << 10
    /// The request line and headers together: beyond this the router answers `413` in JSON.
    static let maxHeadersSize = 64 << 10

    /// `timeoutMilliseconds`: keep-alive connections idle this long, and requests trickling in (or replies
    /// read) slower, are closed; a stalled client holds one socket, never the loop.
    init(runtime: HostRuntime, address: String, token: String?, timeoutMilliseconds: Int) throws {
        self.runtime = runtime
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        let (http, bound) = try HTTPListener.open(
            on: address, base: runtime.loop.base, purpose: "serve the control API",
            timeoutMilliseconds: timeoutMilliseconds)
        self.http = http
        self.bound = bound
        evhttp_set_gencb(
            http,
            { request, context in
                Unmanaged<ControlAPI>.fromOpaque(context!).takeUnretainedValue().received(request!)
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Answers every long poll (`503`) and stops serving; evhttp closes its connections. Idempotent.
    func close() {
        guard let http else { return }
        for number in pendingWaits.keys.sorted() {
            finishWait(number, outcome: .hostStopping)
        }
        changes.timer.cancel()
        evhttp_free(http)
        self.http = nil
    }

    // MARK: - Requests

    private func received(_ handle: OpaquePointer) {
        let request = APIRequest(handle)
        let reply: APIReply
        if request.headSize > ControlAPI.maxHeadersSize {
            reply = .now(
                .error(
                    413,
                    "the request line and headers take \(request.headSize) bytes; at most \(ControlAPI.maxHeadersSize) "
                        + "are read"))
        } else if let token, !ControlAPI.isPublic(request.path), !request.carriesBearerToken(token) {
            var response = APIResponse.error(401, "missing or wrong bearer token (Authorization: Bearer …)")
            response.headers.append(("WWW-Authenticate", "Bearer realm=\"mockmx\""))
            reply = .now(response)
        } else {
            reply = route(request)
        }
        if case .now(let response) = reply { send(response, to: handle) }
    }

    /// Writes the response and hands the request back to evhttp, which frees it once the reply is written
    /// (or at once when the client has already gone).
    func send(_ response: APIResponse, to handle: OpaquePointer) {
        let headers = evhttp_request_get_output_headers(handle)
        evhttp_add_header(headers, "Content-Type", response.contentType)
        evhttp_add_header(headers, "Cache-Control", "no-store")
        for (name, value) in response.headers { evhttp_add_header(headers, name, value) }
        let body = evbuffer_new()
        if let file = response.file {
            if evbuffer_add_file(body, file.descriptor, 0, Int64(file.size)) != 0 { Glibc.close(file.descriptor) }
        } else {
            response.body.withUnsafeBytes { _ = evbuffer_add(body, $0.baseAddress, $0.count) }
        }
        evhttp_send_reply(handle, Int32(response.status), APIResponse.reasonPhrase(response.status), body)
        evbuffer_free(body)
    }
}

/// One HTTP request as the router sees it, read out of evhttp on the loop thread.
struct APIRequest {
    /// The evhttp request; valid until a response is sent to it.
    let handle: OpaquePointer
    let method: APIMethod
    /// The decoded path segments: `/api/v1/messages/X` → `["api", "v1", "messages", "X"]`.
    let path: [String]
    /// Query parameters, percent-decoded; a `+` stays a `+` (it is common in addresses).
    var query: [String: String]
    /// How often each parameter given more than once was given: the router refuses such a request, as no
    /// value can be chosen over the other without one of them being silently ignored.
    let repeatedQuery: [String: Int]
    /// The media type of the body, lowercased, without its parameters (`application/json; charset=utf-8`
    /// → `application/json`); nil when the request names none.
    let contentType: String?
    let body: [UInt8]
    /// The bytes of the request target and the header fields (names, values and their separators).
    let headSize: Int
    /// The `Authorization` header as given; read by the token checks of both APIs.
    let authorization: String?

    init(_ handle: OpaquePointer) {
        self.handle = handle
        method = APIMethod(evhttp_request_get_command(handle))
        let uri = evhttp_request_get_evhttp_uri(handle)
        let rawPath = uri.flatMap { evhttp_uri_get_path($0) }.map { String(cString: $0) } ?? "/"
        path = APIRequest.segments(rawPath)
        (query, repeatedQuery) = APIRequest.parameters(
            uri.flatMap { evhttp_uri_get_query($0) }.map { String(cString: $0) } ?? "")
        let headers = evhttp_request_get_input_headers(handle)
        var headSize = evhttp_request_get_uri(handle).map { strlen($0) } ?? 0
        var field = headers?.pointee.tqh_first
        while let current = field {
            headSize += strlen(current.pointee.key) + strlen(current.pointee.value) + 4
            field = current.pointee.next.tqe_next
        }
        self.headSize = headSize
        authorization = evhttp_find_header(headers, "Authorization").map { String(cString: $0) }
        contentType = evhttp_find_header(headers, "Content-Type").map {
            String(cString: $0).split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces).lowercased()
        }
        var body: [UInt8] = []
        if let input = evhttp_request_get_input_buffer(handle) {
            let length = evbuffer_get_length(input)
            body = [UInt8](repeating: 0, count: length)
            _ = body.withUnsafeMutableBytes { evbuffer_copyout(input, $0.baseAddress, length) }
        }
        self.body = body
    }

    var pathText: String { "/" + path.joined(separator: "/") }

    /// Compares in constant time, so the token cannot be guessed byte by byte from response times.
    func carriesBearerToken(_ token: String) -> Bool {
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((authorization ?? "").utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }

    static func segments(_ rawPath: String) -> [String] {
        rawPath.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// The parameters by their decoded names, and the names given more than once with their counts.
    static func parameters(_ rawQuery: String) -> (parameters: [String: String], repeated: [String: Int]) {
        var parameters: [String: String] = [:]
        var repeated: [String: Int] = [:]
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            if parameters.updateValue(value, forKey: key) != nil { repeated[key, default: 1] += 1 }
        }
        return (parameters, repeated)
    }

    /// `application/json` or a JSON-based type such as `application/problem+json`.
    var bodyIsJSON: Bool {
        guard let contentType else { return false }
        return contentType == "application/json" || contentType.hasSuffix("+json")
    }
}

/// The HTTP methods evhttp parses.
enum APIMethod: String, CaseIterable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    case options = "OPTIONS"
    case trace = "TRACE"
    case connect = "CONNECT"
    case patch = "PATCH"

    init(_ command: evhttp_cmd_type) {
        switch command {
        case EVHTTP_REQ_POST: self = .post
        case EVHTTP_REQ_HEAD: self = .head
        case EVHTTP_REQ_PUT: self = .put
        case EVHTTP_REQ_DELETE: self = .delete
        case EVHTTP_REQ_OPTIONS: self = .options
        case EVHTTP_REQ_TRACE: self = .trace
        case EVHTTP_REQ_CONNECT: self = .connect
        case EVHTTP_REQ_PATCH: self = .patch
        default: self = .get
        }
    }
}
