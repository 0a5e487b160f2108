import Foundation

/// What a handler answers: the status, the body and its type. Errors are always JSON `{"error": …}`.
struct APIResponse {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static let jsonType = "application/json"

    /// A JSON body with sorted keys, so responses are stable byte for byte.
    static func json(_ object: Any, status: Int = 200) -> APIResponse {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: options))
            ?? Data(#"{"error":"response could not be encoded"}"#.utf8)
        return APIResponse(status: status, contentType: jsonType, body: Array(data) + [0x0A])
    }

    /// `{"error": message}` plus any further fields.
    static func error(_ status: Int, _ message: String, _ details: [String: Any] = [:]) -> APIResponse {
        json(details.merging(["error": message]) { _, new in new }, status: status)
    }

    static func bytes(_ bytes: [UInt8], type: String) -> APIResponse {
        APIResponse(status: 200, contentType: type, body: bytes)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

/// A handler's answer: now, or later from the loop (a long poll keeps its evhttp request until then).
enum APIReply {
    case now(APIResponse)
    case later
}
