import Foundation
import MockMXServer
import Testing

/// Bad input on the API side (issue 21): every body has a limit answered with a JSON `413`, oversized headers
/// are refused, and a client that sends half a request and stops holds one socket, never the loop.
@Suite struct APILimitTests {
    /// Every endpoint of the API with the largest body it takes.
    static func endpoints(port: Int) -> [(method: String, path: String, limit: Int)] {
        let ignored = 64 << 10
        return [
            ("GET", "/healthz", ignored), ("GET", "/metrics", ignored), ("GET", "/api/v1/messages", ignored),
            ("DELETE", "/api/v1/messages", ignored), ("GET", "/api/v1/messages/X", ignored),
            ("GET", "/api/v1/messages/X/raw", ignored), ("GET", "/api/v1/messages/X/xexch50", ignored),
            ("GET", "/api/v1/sessions", ignored), ("GET", "/api/v1/sessions/X", ignored),
            ("GET", "/api/v1/wait?messages=0", ignored), ("GET", "/api/v1/listeners", ignored),
            ("GET", "/api/v1/listeners/\(port)/scenario", ignored),
            ("PUT", "/api/v1/listeners/\(port)/scenario", 1 << 20), ("POST", "/api/v1/reset", ignored),
        ]
    }

    @Test func everyEndpointAnswersABodyOverItsLimitWith413InJSON() throws {
        let api = try APIHost()
        for endpoint in APILimitTests.endpoints(port: api.smtpPorts[0]) {
            let body = [UInt8](repeating: UInt8(ascii: "#"), count: endpoint.limit + 1)
            let refused = try api.request(endpoint.method, endpoint.path, body: body)
            #expect(refused.status == 413, "\(endpoint.method) \(endpoint.path)")
            #expect(refused.headers["content-type"] == "application/json")
            let path = endpoint.path.split(separator: "?")[0]
            #expect(
                try refused.errorMessage()
                    == "\(endpoint.method) \(path) takes a body of at most \(endpoint.limit) bytes; this one has "
                    + "\(endpoint.limit + 1)")
        }
        // A small body where none is read is no error (clients send `{}` with a POST).
        #expect(try api.request("POST", "/api/v1/reset", body: Array("{}".utf8), contentType: "application/json")
            .status == 200)
        #expect(try api.get("/healthz").status == 200)
    }

    @Test func beyondWhatEvhttpReadsAtAllTheAnswerIs413AndTheHostGoesOn() throws {
        let api = try APIHost()
        let huge = [UInt8](repeating: UInt8(ascii: "#"), count: 3 << 20)
        #expect(try api.request("PUT", "/api/v1/listeners/\(api.smtpPorts[0])/scenario", body: huge).status == 413)
        #expect(try api.get("/healthz").status == 200)
    }

    @Test func oversizedHeadersAre413InJSON() throws {
        let api = try APIHost()
        let padding = String(repeating: "p", count: 70_000)
        let refused = try api.get("/api/v1/messages", headers: ["X-Padding: \(padding)"])
        #expect(refused.status == 413 && refused.headers["content-type"] == "application/json")
        #expect(try refused.errorMessage().hasSuffix("bytes; at most 65536 are read"))
        // Many small fields count alike.
        let many = (0..<80).map { "X-Field-\($0): \(String(repeating: "q", count: 1_000))" }
        #expect(try api.get("/healthz", headers: many).status == 413)
        // Beyond what evhttp reads at all, evhttp refuses the request itself.
        let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
        let client = try RawClient(port: port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "p", count: 300_000))\r\n\r\n")
        #expect(try client.readLine().hasPrefix("HTTP/1.1 400 "))
        #expect(try api.get("/healthz").status == 200)
    }

    /// Half a request and then nothing: SMTP and other API clients are served meanwhile, and the stalled
    /// connection is closed once the API timeout passes.
    @Test func aStalledAPIClientHoldsOneSocketNotTheLoop() async throws {
        let api = try APIHost { $0.apiTimeoutMilliseconds = 500 }
        let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
        let halfHeaders = try RawClient(port: port, timeout: 10)
        try halfHeaders.send("GET /api/v1/messages HTTP/1.1\r\nHost: x\r\nAccept: appl")
        let halfBody = try RawClient(port: port, timeout: 10)
        try halfBody.send(
            "PUT /api/v1/listeners/\(api.smtpPorts[0])/scenario HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nname:")

        let started = ContinuousClock.now
        let id = try api.deliver()
        let listed = try api.get("/api/v1/messages").object()
        #expect((listed["messages"] as? [[String: Any]])?.first?["id"] as? String == id)
        #expect(ContinuousClock.now - started < .milliseconds(500), "served while the stalled clients wait")

        for stalled in [halfHeaders, halfBody] {
            let (ending, _) = stalled.ending(timeout: 10)
            #expect(ending == .fin)
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
