import CLibEvent
import Foundation
import MockMXScenario

/// A second HTTP listener that answers the way Mailpit's API does (its paths, field names and status codes),
/// so test suites and client libraries written for Mailpit read what mockmx received unchanged. mockmx's own
/// `/api/v1` keeps its shapes on the control API's listener.
///
/// Loop-confined, like ``ControlAPI``: evhttp on the host's loop, created by `HostRuntime.bind()`. Routes and
/// message shapes are in `MailpitAPI+Messages.swift`, chaos triggers in `MailpitAPI+Chaos.swift`.
final class MailpitAPI {
    let bound: BoundAddress
    unowned let runtime: HostRuntime
    private let token: String?
    private var http: OpaquePointer?
    let startedAt = Date()
    /// Messages opened with `GET /api/v1/message/{ID}` or marked read; Mailpit counts the rest as unread.
    var readIDs: Set<String> = []
    /// Messages deleted through this API since start or reset (Mailpit's `MessagesDeleted`).
    var deletedCount = 0
    /// Mailpit's chaos triggers as set by `PUT /api/v1/chaos`; all off until then.
    var chaos = MailpitChaos()
    lazy var routes: [APIRoute] = makeRoutes()

    init(runtime: HostRuntime, address: String, token: String?, timeoutMilliseconds: Int) throws {
        self.runtime = runtime
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        let (http, bound) = try HTTPListener.open(
            on: address, base: runtime.loop.base, purpose: "serve the Mailpit-compatible API",
            timeoutMilliseconds: timeoutMilliseconds)
        self.http = http
        self.bound = bound
        evhttp_set_gencb(
            http,
            { request, context in
                Unmanaged<MailpitAPI>.fromOpaque(context!).takeUnretainedValue().received(request!)
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    /// Stops serving; evhttp closes its connections. Idempotent.
    func close() {
        guard let http else { return }
        evhttp_free(http)
        self.http = nil
    }

    private func received(_ handle: OpaquePointer) {
        var request = APIRequest(handle)
        // Go decodes a query as a form: `+` is a space (`?query=to:bob+invoice`), as Mailpit's clients send it.
        let rawQuery = evhttp_request_get_evhttp_uri(handle).flatMap { evhttp_uri_get_query($0) }
            .map { String(cString: $0) } ?? ""
        request.query = APIRequest.parameters(rawQuery.replacingOccurrences(of: "+", with: "%20")).parameters
        let response: APIResponse
        // Mailpit's probes answer without credentials, as orchestrators call them without any.
        if let token, !["livez", "readyz"].contains(request.path.first ?? ""), !request.carriesToken(token) {
            response = APIResponse(
                status: 401, contentType: "text/plain; charset=utf-8", body: Array("Unauthorized.\n".utf8),
                headers: [("WWW-Authenticate", "Basic realm=\"Login\"")])
        } else {
            response = route(request)
        }
        let headers = evhttp_request_get_output_headers(handle)
        evhttp_add_header(headers, "Content-Type", response.contentType)
        for (name, value) in response.headers { evhttp_add_header(headers, name, value) }
        let body = evbuffer_new()
        response.body.withUnsafeBytes { _ = evbuffer_add(body, $0.baseAddress, $0.count) }
        evhttp_send_reply(handle, Int32(response.status), APIResponse.reasonPhrase(response.status), body)
        evbuffer_free(body)
    }

    /// Go's router: an unknown path is a plain-text 404, a known path with another method a 405 with `Allow`.
    /// Unknown query parameters are ignored, as Mailpit ignores them.
    private func route(_ request: APIRequest) -> APIResponse {
        for route in routes {
            guard let captures = route.captures(request.path) else { continue }
            guard let endpoint = route.endpoints[request.method == .head ? .get : request.method] else {
                var response = MailpitAPI.text("Method Not Allowed\n", status: 405)
                response.headers.append(("Allow", route.allow))
                return response
            }
            if case .now(let response) = endpoint.handle(request, captures) { return response }
        }
        return MailpitAPI.notFound
    }

    static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// Mailpit's `httpError`: a 400 with the message as plain text.
    static func badRequest(_ message: String) -> APIResponse { text(message, status: 400) }

    static let notFound = text("404 page not found", status: 404)
}

extension APIRequest {
    /// `Authorization: Bearer TOKEN`, as on the control API, or Basic with TOKEN as the password (any user
    /// name), as Mailpit's clients send their credentials. Compared in constant time.
    func carriesToken(_ token: String) -> Bool {
        if carriesBearerToken(token) { return true }
        guard let header = authorization, header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return false }
        let given = Array(decoded[decoded.index(after: colon)...])
        let expected = Array(token.utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in expected.indices { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }
}
