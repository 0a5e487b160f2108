import Foundation
import StrictJSON

/// What a handler answers: the status, the body and its type. Errors are always JSON `{"error": …}`.
struct APIResponse {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []
    /// A body sent from an open file instead of `body` (libevent sends it without reading it into memory and
    /// closes the descriptor), with its length.
    var file: (descriptor: Int32, size: Int)?

    static let jsonType = "application/json"

    /// A JSON body with sorted keys, so responses are stable byte for byte.
    static func json(_ body: some Encodable, status: Int = 200) -> APIResponse {
        var bytes = (try? JSONBytesEncoder().encode(body)) ?? Array(#"{"error":"response could not be encoded"}"#.utf8)
        bytes.append(0x0A)
        return APIResponse(status: status, contentType: jsonType, body: bytes)
    }

    /// `{"error": message}`, plus `diagnostics` when there are some.
    static func error(_ status: Int, _ message: String, diagnostics: [String]? = nil) -> APIResponse {
        json(APIError(error: message, diagnostics: diagnostics), status: status)
    }

    static func bytes(_ bytes: [UInt8], type: String) -> APIResponse {
        APIResponse(status: 200, contentType: type, body: bytes)
    }

    /// The first `size` bytes of a file (a spooled message), or a `404` saying it is gone.
    static func file(_ url: URL, size: Int, type: String) -> APIResponse {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return .error(404, "\(url.path) cannot be read (\(String(cString: strerror(errno)))); was the spool emptied?")
        }
        return APIResponse(status: 200, contentType: type, body: [], file: (descriptor, size))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

/// The body of every error answer; `diagnostics` is left out when nil.
struct APIError: Encodable {
    var error: String
    /// A refused scenario's located errors, one `file:line:column: error: path: message` each.
    var diagnostics: [String]?
}

/// A handler's answer: now, or later from the loop (a long poll keeps its evhttp request until then).
enum APIReply {
    case now(APIResponse)
    case later
}
