import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// `/api/v1/listeners/{id}/record` on a running proxy and `/api/v1/diff`, with curl: a second in-process
/// mockmx is the upstream; the first listener proxies it, the second plays the default persona.
@Suite struct RecordAndDiffAPITests {
    private func hosts() throws -> (upstream: LiveHost, api: APIHost) {
        let upstream = try LiveHost(yaml: "host: {hostname: recorded-upstream.test}\n")
        let proxy = try ScenarioLoader.load(yaml: "upstream: 127.0.0.1:\(upstream.port)\n", file: "proxy.yaml")
        return (upstream, try APIHost(scenarios: [proxy, .defaultPersona]))
    }

    /// Greeting, EHLO, MAIL, RCPT, QUIT.
    private func converse(_ port: Int, recipient: String = "b@example.org") throws {
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<\(recipient)>\r\nQUIT\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        _ = client.ending()
    }

    private func sessionIDs(_ api: APIHost, ended count: Int) async throws -> [String] {
        #expect(await api.host.sessions.wait(forEnded: count, timeout: .seconds(10)))
        return api.host.sessions.all.map(\.id)
    }

    @Test func recordingARunningProxyGivesAScenarioThatPlaysTheUpstream() async throws {
        let (upstream, api) = try hosts()
        defer { withExtendedLifetime(upstream) {} }
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/record"
        try converse(api.smtpPorts[0])  // before recording began: not in the scenario
        let started = try api.request("POST", path)
        #expect(started.status == 201)
        let report = try started.object()
        #expect(report["recording"] as? Bool == true && report["sessions"] as? Int == 0)
        #expect(report["scenario"] is NSNull)
        #expect(try api.get(path + "?format=yaml").status == 409)

        try converse(api.smtpPorts[0], recipient: "someone@example.org")
        _ = try await sessionIDs(api, ended: 2)
        let yaml = try api.get(path + "?format=yaml")
        #expect(yaml.status == 200)
        #expect(yaml.headers["content-type"] == "application/yaml")
        let scenario = try ScenarioLoader.load(yaml: yaml.text, file: "recorded.yaml")
        #expect(scenario.host.hostname == "recorded-upstream.test")

        let stopped = try api.request("DELETE", path)
        #expect(stopped.status == 200)
        let final = try stopped.object()
        #expect(final["recording"] as? Bool == false && final["sessions"] as? Int == 1)
        #expect((final["scenario"] as? String) == yaml.text)
        #expect(try api.get(path).status == 404)
        // Recording may start again.
        #expect(try api.request("POST", path).status == 201)
    }

    @Test func recordRefusesWhatItCannotRecord() throws {
        let (upstream, api) = try hosts()
        defer { withExtendedLifetime(upstream) {} }
        let notAProxy = try api.request("POST", "/api/v1/listeners/\(api.smtpPorts[1])/record")
        #expect(notAProxy.status == 409)
        #expect((try notAProxy.object()["error"] as? String)?.contains("is not a proxy") == true)
        #expect(try api.request("POST", "/api/v1/listeners/1/record").status == 404)
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/record"
        #expect(try api.get(path).status == 404)  // not recording
        #expect(try api.request("POST", path).status == 201)
        let twice = try api.request("POST", path)
        #expect(twice.status == 409)
        #expect((try twice.object()["error"] as? String)?.contains("already recording") == true)
        let format = try api.get(path + "?format=xml")
        #expect(format.status == 400)
        #expect(format.headers["content-type"] == "application/json")
        #expect(try api.get(path + "?formt=yaml").status == 400)
        #expect(try api.request("PUT", path).status == 405)
    }

    @Test func diffComparesSessionsByIdAndGoldenDocuments() async throws {
        let (_, api) = try hosts()
        let port = api.smtpPorts[1]
        try converse(port)
        try converse(port)
        try converse(port, recipient: "other@example.org")
        let ids = try await sessionIDs(api, ended: 3)

        let same = try api.get("/api/v1/diff?a=\(ids[0])&b=\(ids[1])")
        #expect(same.status == 200)
        let equal = try same.object()
        #expect(equal["equal"] as? Bool == true && (equal["diff"] as? [String])?.isEmpty == true)
        #expect((equal["lines"] as? Int ?? 0) > 5)

        let other = try api.get("/api/v1/diff?a=\(ids[0])&b=\(ids[2])").object()
        #expect(other["equal"] as? Bool == false)
        let lines = try #require(other["diff"] as? [String])
        #expect(lines.first == "--- \(ids[0])")
        #expect(lines.contains("- C: RCPT TO:<b@example.org>") && lines.contains("+ C: RCPT TO:<other@example.org>"))

        // A golden file's content against a session of this host.
        let golden = try api.get("/api/v1/sessions/\(ids[0])").body
        let goldenObject = try JSONSerialization.jsonObject(with: golden)
        let body = try JSONSerialization.data(withJSONObject: ["a": goldenObject, "b": ids[2], "notes": false])
        let posted = try api.request("POST", "/api/v1/diff", body: Array(body), contentType: "application/json")
        #expect(posted.status == 200)
        #expect(try posted.object()["equal"] as? Bool == false)
        let matching = try JSONSerialization.data(withJSONObject: ["a": goldenObject, "b": ids[1]])
        #expect(
            try api.request("POST", "/api/v1/diff", body: Array(matching), contentType: "application/json")
                .object()["equal"] as? Bool == true)
    }

    @Test(arguments: [
        ("GET", "/api/v1/diff?a=NOSUCH&b=NOSUCH", nil, 404, "no session with id 'NOSUCH'"),
        ("GET", "/api/v1/diff?a=X", nil, 400, "give two session ids"),
        ("GET", "/api/v1/diff?a=X&b=Y&timing=soon", nil, 400, "'timing' must be a duration"),
        ("GET", "/api/v1/diff?a=X&b=Y&exact=maybe", nil, 400, "'exact' must be true or false"),
        ("POST", "/api/v1/diff", "{\"a\": \"X\",", 400, "the body is not JSON: line 1"),
        ("POST", "/api/v1/diff", "[1, 2]", 400, "must be a JSON object"),
        ("POST", "/api/v1/diff", "{\"a\": \"X\"}", 400, "'b' is missing"),
        ("POST", "/api/v1/diff", "{\"a\": 5, \"b\": \"X\"}", 400, "'a' must be a session id"),
        ("POST", "/api/v1/diff", "{\"a\": {}, \"b\": {}}", 400, "'a' is not a session: no \"transcript\" list"),
        ("POST", "/api/v1/diff", "{\"a\": {}, \"b\": {}, \"color\": true}", 400, "unknown field 'color'"),
        ("POST", "/api/v1/diff", "{\"a\": {}, \"b\": {}, \"notes\": 1}", 400, "'notes' must be true or false"),
        ("POST", "/api/v1/diff", "{\"a\": {}, \"b\": {}, \"timing\": \"soon\"}", 400, "'timing' must be a duration"),
        ("DELETE", "/api/v1/diff", nil, 405, "DELETE is not allowed"),
    ] as [(String, String, String?, Int, String)])
    func diffRefusesBadInputWithAJSONError(method: String, path: String, body: String?, status: Int, error: String) throws {
        let (_, api) = try hosts()
        let response = try api.request(method, path, body: body.map { Array($0.utf8) }, contentType: "application/json")
        #expect(response.status == status)
        #expect(response.headers["content-type"] == "application/json")
        let message = try response.object()["error"] as? String ?? ""
        #expect(message.contains(error), "\(message)")
    }
}
