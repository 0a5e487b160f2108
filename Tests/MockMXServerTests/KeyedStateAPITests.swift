import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// `GET /api/v1/listeners/{id}/state` with curl, on a greylisting host whose clock the test moves.
@Suite struct KeyedStateAPITests {
    private let clock = TestClock()

    private func greylistHost(stateKeysPerListener: Int? = nil) throws -> APIHost {
        try APIHost(
            scenarios: [try ScenarioLoader.resolve("greylist")], clock: clock,
            stateKeysPerListener: stateKeysPerListener)
    }

    /// One RCPT from `sender` to b@example.org; whether it was greylisted.
    private func attempt(_ api: APIHost, from sender: String = "a@example.com") throws -> Bool {
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        try client.send("HELO client.example\r\nMAIL FROM:<\(sender)>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n")
        _ = try client.reply()
        _ = try client.reply()
        return try client.replyLine().hasPrefix("451")
    }

    private func keys(_ api: APIHost, _ id: String? = nil) throws -> [[String: Any]] {
        let response = try api.get("/api/v1/listeners/\(id ?? String(api.smtpPorts[0]))/state")
        #expect(response.status == 200)
        let listeners = try #require(try response.object()["listeners"] as? [[String: Any]])
        #expect(listeners.count == 1)
        return try #require(listeners.first?["keys"] as? [[String: Any]])
    }

    @Test func aGreylistedTripletIsShownWithItsRemainingTime() throws {
        let api = try greylistHost()
        #expect(try attempt(api))
        clock.advance(milliseconds: 100_000)

        let response = try api.get("/api/v1/listeners/\(api.smtpPorts[0])/state")
        #expect(response.headers["content-type"] == "application/json")
        let listener = try #require((try response.object()["listeners"] as? [[String: Any]])?.first)
        #expect(listener["address"] as? String == "127.0.0.1:\(api.smtpPorts[0])")
        #expect(listener["scenario"] as? String == "greylist")
        #expect(listener["capacity"] as? Int == KeyedStateTable.defaultCapacity)
        #expect(listener["count"] as? Int == 1)
        #expect(listener["clockScale"] as? Double == 1)
        let key = try #require((listener["keys"] as? [[String: Any]])?.first)
        #expect(key["kind"] as? String == "greylist")
        #expect(key["status"] as? String == "greylisted")
        #expect(key["remainingMilliseconds"] as? Int == 200_000)
        #expect(key["rule"] as? String == "greylisted triplet (greylist.yaml:13:5)")
        #expect(key["key"] as? [String: String]
            == ["client": "127.0.0.1", "sender": "a@example.com", "recipient": "b@example.org"])

        // The retry after the delay passes, and the key says so.
        clock.advance(milliseconds: 200_000)
        #expect(try !attempt(api))
        let passed = try keys(api, "127.0.0.1%3A\(api.smtpPorts[0])")
        #expect(passed.first?["status"] as? String == "passed")
        #expect(passed.first?["remainingMilliseconds"] as? Int == 0)
    }

    @Test func resetAndAScenarioSwapStartTheStateAfresh() throws {
        let api = try greylistHost()
        #expect(try attempt(api))
        #expect(try api.request("POST", "/api/v1/reset").status == 200)
        #expect(try keys(api).isEmpty)

        #expect(try attempt(api))
        #expect(try keys(api).count == 1)
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/scenario?name=greylist"
        #expect(try api.request("PUT", path).status == 200)
        #expect(try keys(api).isEmpty)
        #expect(try attempt(api))
    }

    @Test func beyondItsCapacityAListenerEvictsTheOldestKeyAndCountsIt() throws {
        let api = try greylistHost(stateKeysPerListener: 2)
        for sender in ["one@example.com", "two@example.com", "three@example.com"] { #expect(try attempt(api, from: sender)) }
        let held = try keys(api).compactMap { ($0["key"] as? [String: String])?["sender"] }
        #expect(held == ["two@example.com", "three@example.com"])
        #expect(try api.metric("mockmx_state_keys") == 2)
        #expect(try api.metric("mockmx_state_keys_evicted_total") == 1)
        // The evicted sender is new again: greylisted although its delay has passed.
        clock.advance(milliseconds: 300_000)
        #expect(try attempt(api, from: "one@example.com"))
        #expect(try !attempt(api, from: "three@example.com"))
    }

    @Test func badListenerIDsGetJSONErrors() throws {
        let api = try greylistHost()
        let port = api.smtpPorts[0]
        let noPort = try api.get("/api/v1/listeners/1/state")
        #expect(noPort.status == 404)
        #expect(try noPort.errorMessage() == "no SMTP listener on port 1; listening on 127.0.0.1:\(port)")
        let noName = try api.get("/api/v1/listeners/127.0.0.2%3A25/state")
        #expect(noName.status == 404)
        #expect(try noName.errorMessage() == "no SMTP listener named '127.0.0.2:25'; listening on 127.0.0.1:\(port)")
        let post = try api.request("POST", "/api/v1/listeners/\(port)/state")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        let query = try api.get("/api/v1/listeners/\(port)/state?key=x")
        #expect(query.status == 400)
        #expect(try query.errorMessage() == "unknown query parameter 'key' for /api/v1/listeners/\(port)/state; it takes none")
    }

    @Test func aScenarioWithoutStateShowsNoKeys() throws {
        let api = try APIHost()
        _ = try api.deliver()
        #expect(try keys(api).isEmpty)
        #expect(try api.metric("mockmx_state_keys") == 0)
    }
}
