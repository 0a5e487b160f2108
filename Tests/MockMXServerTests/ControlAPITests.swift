import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// The HTTP control API, driven with the real `curl` binary against a host in this process.
@Suite struct ControlAPITests {
    // MARK: - Messages

    /// CONVENTIONS' paging: `start` from the oldest retained, `limit` per page; `total` counts them all.
    @Test func messagesAndSessionsPageWithStartAndLimit() throws {
        let api = try APIHost()
        let ids = try (0..<3).map { _ in try api.deliver() }
        let page = try api.get("/api/v1/messages?start=1&limit=1").object()
        #expect(page["total"] as? Int == 3)
        #expect(page["start"] as? Int == 1)
        #expect(page["count"] as? Int == 1)
        #expect((page["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[1]])
        let rest = try api.get("/api/v1/messages?start=1").object()
        #expect((rest["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == [ids[1], ids[2]])
        let beyond = try api.get("/api/v1/messages?start=10&limit=5").object()
        #expect(beyond["start"] as? Int == 3 && beyond["count"] as? Int == 0)
        let filtered = try api.get("/api/v1/messages?recipient=nobody%40example.org&limit=2").object()
        #expect(filtered["total"] as? Int == 0 && filtered["count"] as? Int == 0)

        #expect(try api.get("/api/v1/wait?sessions=3&timeout=20s").status == 200)
        let sessions = try api.get("/api/v1/sessions?limit=2").object()
        #expect(sessions["total"] as? Int == 3)
        #expect(sessions["count"] as? Int == 2)
        #expect((sessions["sessions"] as? [[String: Any]])?.count == 2)

        for bad in ["start=-1", "limit=x", "start=1.5", "limit="] {
            for path in ["/api/v1/messages", "/api/v1/sessions", "/api/v1/dns"] {
                let answer = try api.get("\(path)?\(bad)")
                #expect(answer.status == 400, "\(path)?\(bad)")
                #expect((try answer.object()["error"] as? String)?.contains("whole number") == true, "\(path)?\(bad)")
            }
        }
    }

    @Test func messagesListEnvelopesWithPinnedKeysAndFiltersByRecipientAndSender() throws {
        let api = try APIHost()
        let first = try api.deliver(
            from: "alice@example.com", to: ["Bob@Example.org", "carol@example.org"], mailParameters: " BODY=8BITMIME",
            content: "Subject: one\r\n\r\nfirst\r\n")
        let second = try api.deliver(
            from: "dave@example.com", to: ["carol@example.org"], content: "Subject: two\r\n\r\n")

        let all = try api.get("/api/v1/messages")
        #expect(all.status == 200)
        #expect(all.headers["content-type"] == "application/json")
        let document = try all.object()
        #expect(Set(document.keys) == ["total", "start", "count", "accepted", "dropped", "messages"])
        #expect(document["total"] as? Int == 2)
        #expect(document["accepted"] as? Int == 2)
        let messages = try #require(document["messages"] as? [[String: Any]])
        #expect(messages.map { $0["id"] as? String } == [first, second])
        #expect(Set(messages[0].keys) == ControlAPITests.envelopeKeys.union(["contentIn"]))
        #expect(messages[0]["contentIn"] as? String == "memory")
        #expect(messages[0]["mailFrom"] as? String == "alice@example.com")
        #expect(messages[0]["recipients"] as? [String] == ["Bob@Example.org", "carol@example.org"])
        #expect(messages[0]["helo"] as? String == "client.example")
        #expect(messages[0]["client"] as? String == "127.0.0.1")
        #expect(messages[0]["listener"] as? String == "127.0.0.1:\(api.smtpPorts[0])")
        #expect(messages[0]["size"] as? Int == "Subject: one\r\n\r\nfirst\r\n".utf8.count)
        #expect(messages[0]["xexch50"] is NSNull)
        let parameters = try #require(messages[0]["mailParameters"] as? [[String: Any]])
        #expect(parameters.count == 1 && parameters[0]["key"] as? String == "BODY")
        #expect(parameters[0]["value"] as? String == "8BITMIME")
        let session = try #require(messages[0]["session"] as? String)
        #expect(first.hasPrefix(session))
        #expect((messages[0]["receivedAt"] as? String)?.contains("T") == true)

        let toBob = try api.get("/api/v1/messages?recipient=bob%40EXAMPLE.org").object()
        #expect(toBob["total"] as? Int == 1)
        #expect((toBob["messages"] as? [[String: Any]])?.first?["id"] as? String == first)
        let toCarol = try api.get("/api/v1/messages?recipient=carol@example.org").object()
        #expect(toCarol["total"] as? Int == 2)
        let fromDave = try api.get("/api/v1/messages?sender=DAVE@example.com").object()
        #expect((fromDave["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == [second])
        let nobody = try api.get("/api/v1/messages?recipient=nobody@example.org&sender=alice@example.com").object()
        #expect(nobody["total"] as? Int == 0 && nobody["accepted"] as? Int == 2)

        let typo = try api.get("/api/v1/messages?recipent=bob@example.org")
        #expect(typo.status == 400)
        #expect(try typo.errorMessage().contains("unknown query parameter 'recipent'"))
    }

    @Test func messageDetailHasHeadersTextAndTheExactRawBytes() throws {
        let api = try APIHost()
        let content: [UInt8] = Array(
            "From: Alice <alice@example.com>\r\nSubject: a folded\r\n\tsubject line\r\nX-Empty:\r\n\r\nbody \u{e9}\r\n"
                .utf8) + [0xFF, 0x0D, 0x0A]
        let id = try api.deliver(content: content)

        let detail = try api.get("/api/v1/messages/\(id)")
        #expect(detail.status == 200)
        let document = try detail.object()
        #expect(Set(document.keys) == ControlAPITests.envelopeKeys.union(["contentIn", "headers", "text"]))
        let headers = try #require(document["headers"] as? [[String]])
        #expect(headers == [
            ["From", "Alice <alice@example.com>"], ["Subject", "a folded\tsubject line"], ["X-Empty", ""],
        ])
        #expect(document["text"] as? String == String(decoding: content, as: UTF8.self))
        #expect((document["text"] as? String)?.hasSuffix("body \u{e9}\r\n\u{FFFD}\r\n") == true)

        let raw = try api.get("/api/v1/messages/\(id)/raw")
        #expect(raw.status == 200)
        #expect(raw.headers["content-type"] == "message/rfc822")
        #expect(Array(raw.body) == content)

        let noBlob = try api.get("/api/v1/messages/\(id)/xexch50")
        #expect(noBlob.status == 404)
        #expect(try noBlob.errorMessage() == "message \(id) came without an XEXCH50 blob")

        for path in ["/api/v1/messages/nosuch", "/api/v1/messages/nosuch/raw", "/api/v1/messages/nosuch/xexch50"] {
            let missing = try api.get(path)
            #expect(missing.status == 404)
            #expect(try missing.errorMessage().hasPrefix("no message with id 'nosuch'"))
        }
    }

    @Test func xexch50BlobIsServedByteForByte() throws {
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("exchange-2003")])
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        try client.send("EHLO exchange.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<sender@example.com>\r\n")
        _ = try client.reply()
        try client.send("RCPT TO:<rcpt@example.org>\r\n")
        _ = try client.reply()
        try client.send("XEXCH50 300 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        let blob = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 13) }
        try client.send(blob)
        #expect(try client.replyLine() == "250 2.0.0 XEXCH50 OK")
        try client.send("DATA\r\n")
        _ = try client.reply()
        try client.send("Subject: x\r\n\r\nbody\r\n.\r\n")
        let queued = try client.replyLine()
        let id = try #require(queued.split(separator: " ").last.map(String.init))

        let envelope = try api.get("/api/v1/messages/\(id)").object()
        let summary = try #require(envelope["xexch50"] as? [String: Any])
        #expect(Set(summary.keys) == ["size", "recipientArgument"])
        #expect(summary["size"] as? Int == 300 && summary["recipientArgument"] as? Int == 2)
        let served = try api.get("/api/v1/messages/\(id)/xexch50")
        #expect(served.status == 200)
        #expect(served.headers["content-type"] == "application/octet-stream")
        #expect(Array(served.body) == blob)
    }

    @Test func deleteMessagesEmptiesTheStore() throws {
        let api = try APIHost()
        _ = try api.deliver()
        _ = try api.deliver()
        let deleted = try api.request("DELETE", "/api/v1/messages")
        #expect(deleted.status == 200)
        #expect(deleted.text == #"{"deleted":2}"# + "\n")
        let after = try api.get("/api/v1/messages").object()
        #expect(after["total"] as? Int == 0 && after["accepted"] as? Int == 0)
        #expect(api.host.messages.all.isEmpty)
    }

    // MARK: - Sessions

    @Test func sessionsShowTranscriptsRulesAndHowTheyEnded() async throws {
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("greylist")])
        let greylisted = try RawClient(port: api.smtpPorts[0])
        _ = try greylisted.reply()
        try greylisted.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n")
        for _ in 0..<4 { _ = try greylisted.reply() }
        #expect(await api.host.sessions.wait(forEnded: 1, timeout: .seconds(10)))
        let open = try RawClient(port: api.smtpPorts[0])
        _ = try open.reply()

        let list = try api.get("/api/v1/sessions").object()
        #expect(Set(list.keys) == ["total", "start", "count", "accepted", "dropped", "started", "ended", "sessions"])
        #expect(list["total"] as? Int == 2 && list["started"] as? Int == 2 && list["ended"] as? Int == 1)
        let sessions = try #require(list["sessions"] as? [[String: Any]])
        #expect(Set(sessions[0].keys) == ControlAPITests.sessionKeys)
        #expect(sessions[0]["endReason"] as? String == "client-quit")
        #expect(sessions[0]["endedAt"] is String)
        #expect(sessions[0]["scenario"] as? String == "greylist")
        #expect(sessions[0]["client"] as? String == "127.0.0.1")
        #expect(sessions[0]["messages"] as? [String] == [])
        #expect((sessions[0]["transcriptEntries"] as? Int ?? 0) > 6)
        #expect(sessions[0]["omittedTranscriptEntries"] as? Int == 0)
        #expect(sessions[1]["endReason"] is NSNull)
        #expect(sessions[1]["endedAt"] is NSNull)

        let id = try #require(sessions[0]["id"] as? String)
        let detail = try api.get("/api/v1/sessions/\(id)").object()
        #expect(Set(detail.keys) == ControlAPITests.sessionKeys.union(["transcript", "format"]))
        #expect(detail["format"] as? Int == 1)
        let transcript = try #require(detail["transcript"] as? [[String: Any]])
        #expect(transcript.count == sessions[0]["transcriptEntries"] as? Int)
        #expect(transcript.allSatisfy { Set($0.keys) == ["time", "direction", "text", "rule"] })
        let exchanged = transcript.filter { $0["direction"] as? String != "note" }.map {
            "\($0["direction"] as? String ?? "?"): \($0["text"] as? String ?? "?")"
        }
        #expect(exchanged == [
            "server: 220 mx.greylist.test ESMTP mockmx", "client: HELO client.example", "server: 250 mx.greylist.test",
            "client: MAIL FROM:<a@example.com>", "server: 250 2.1.0 Ok", "client: RCPT TO:<b@example.org>",
            "server: 451 4.7.1 Greylisted, please come back in 00:05:00", "client: QUIT",
            "server: 221 2.0.0 Bye",
        ])
        let greylistReply = try #require(transcript.first { ($0["text"] as? String)?.hasPrefix("451") == true })
        #expect(greylistReply["rule"] as? String == "greylisted triplet (greylist.yaml:13:5)")
        #expect(transcript.first?["rule"] is NSNull)

        let missing = try api.get("/api/v1/sessions/nosuch")
        #expect(missing.status == 404)
        #expect(try missing.errorMessage().hasPrefix("no session with id 'nosuch'"))
    }

    @Test func sessionListsTheMessagesItDelivered() throws {
        let api = try APIHost()
        let id = try api.deliver()
        let sessions = try #require(try api.get("/api/v1/sessions").object()["sessions"] as? [[String: Any]])
        #expect(sessions.first?["messages"] as? [String] == [id])
    }

    // MARK: - Waiting

    @Test func waitReturnsAsSoonAsTheMessageArrives() throws {
        let api = try APIHost()
        let started = Date()
        let waiting = try api.start("GET", "/api/v1/wait?messages=1&timeout=20s")
        // The wait is parked once the gauge says so; only then is the message sent.
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 1 })
        _ = try api.deliver()
        let answer = try waiting.finish()
        #expect(answer.status == 200)
        // Answered when the message is stored, whether or not its session has ended by then.
        #expect(try answer.object()["messages"] as? Int == 1)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try api.metric("mockmx_api_waits_pending") == 0)

        let already = try api.get("/api/v1/wait?messages=1&sessions=1")
        #expect(already.status == 200)
    }

    @Test func waitForEndedSessionsAndMessagesTogether() throws {
        let api = try APIHost()
        let waiting = try api.start("GET", "/api/v1/wait?messages=1&sessions=2&timeout=20s")
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 1 })
        _ = try api.deliver()
        // One message and one ended session: half the condition.
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        #expect(try api.metric("mockmx_api_waits_pending") == 1)
        try client.send("QUIT\r\n")
        _ = try client.reply()
        let answer = try waiting.finish()
        #expect(answer.status == 200)
        #expect(answer.text == #"{"messages":1,"sessions":2}"# + "\n")
    }

    @Test func waitTimesOutWith408AndWhatItSaw() throws {
        let api = try APIHost()
        _ = try api.deliver()
        let started = Date()
        let answer = try api.get("/api/v1/wait?messages=3&timeout=300ms")
        #expect(answer.status == 408)
        #expect(answer.text == #"{"error":"timed out waiting for 3 message(s)","messages":1,"sessions":1}"# + "\n")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func waitRefusesBadParameters() throws {
        let api = try APIHost()
        let cases = [
            (
                "/api/v1/wait",
                "give messages=N (messages accepted), sessions=N (sessions ended) and/or change=N (anything new)"
            ),
            ("/api/v1/wait?messages=-1", "messages must be a whole number ≥ 0, found '-1'"),
            ("/api/v1/wait?messages=1&timeout=5", "timeout: a duration needs a unit: ms, s or m (e.g. '5ms')"),
            ("/api/v1/wait?messages=1&timeout=6m", "timeout must be at most 5m, found '6m'"),
            (
                "/api/v1/wait?message=1",
                "unknown query parameter 'message' for /api/v1/wait; it takes change, messages, sessions, timeout"
            ),
        ]
        for (path, message) in cases {
            let answer = try api.get(path)
            #expect(answer.status == 400, "\(path)")
            #expect(try answer.errorMessage() == message)
        }
    }

    @Test func waitSurvivesItsClientGoingAway() throws {
        let api = try APIHost()
        let impatient = try api.start("GET", "/api/v1/wait?messages=1&timeout=60s", maxTime: 1)
        let gaveUp = try impatient.finish()
        #expect(gaveUp.exitStatus == 28)  // curl: operation timed out
        // The parked request is dropped when the client leaves, not when the minute is over.
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 0 })
        _ = try api.deliver()
        let next = try api.get("/api/v1/wait?messages=1")
        #expect(next.status == 200)
    }

    @Test func shutdownAnswersParkedWaits() throws {
        let api = try APIHost()
        let waiting = try api.start("GET", "/api/v1/wait?messages=1&timeout=60s")
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 1 })
        api.host.shutdown(graceMilliseconds: 0)
        let answer = try waiting.finish()
        // The 503 is written as the loop ends; a client may see it or just the connection closing.
        #expect(answer.status == 503 || answer.exitStatus == 52)
    }

    // MARK: - Scenarios

    @Test func scenarioSwapAppliesToNewSessionsWhileOpenOnesKeepTheirs() throws {
        let api = try APIHost()
        let before = try RawClient(port: api.smtpPorts[0])
        #expect(try before.replyLine() == "220 mockmx.test ESMTP mockmx")
        try before.send("HELO client.example\r\n")
        _ = try before.reply()

        let yaml = """
            summary: Refuses every recipient.
            host:
              hostname: mx.swapped.test
            rules:
              - on: rcpt
                do:
                  reply: "550 5.1.1 No such user"
            """
        let swapped = try api.request("PUT", "/api/v1/listeners/\(api.smtpPorts[0])/scenario", body: Array(yaml.utf8))
        #expect(swapped.status == 200)
        let listeners = try #require(try swapped.object()["listeners"] as? [[String: Any]])
        #expect(listeners.count == 1)
        #expect(listeners[0]["scenario"] as? String == "api")
        #expect(listeners[0]["summary"] as? String == "Refuses every recipient.")

        try before.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
        #expect(try before.replyLine() == "250 2.1.0 Ok")
        #expect(try before.replyLine() == "250 2.1.5 Ok")

        let after = try RawClient(port: api.smtpPorts[0])
        #expect(try after.replyLine() == "220 mx.swapped.test ESMTP mockmx")
        try after.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
        _ = try after.reply()
        _ = try after.reply()
        #expect(try after.replyLine() == "550 5.1.1 No such user")

        let sessions = try #require(try api.get("/api/v1/sessions").object()["sessions"] as? [[String: Any]])
        #expect(sessions.map { $0["scenario"] as? String } == ["default", "api"])
    }

    @Test func bundledScenariosByNameOrAsTheBody() throws {
        let api = try APIHost(scenarios: [.defaultPersona, .defaultPersona])
        let port = api.smtpPorts[1]
        let byQuery = try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=greylist")
        #expect(byQuery.status == 200)
        let byBody = try api.request("PUT", "/api/v1/listeners/\(port)/scenario", body: Array("tarpit.yaml\n".utf8))
        #expect(byBody.status == 200)

        let listeners = try #require(try api.get("/api/v1/listeners").object()["listeners"] as? [[String: Any]])
        #expect(listeners.allSatisfy { Set($0.keys) == ["address", "host", "port", "scenario", "summary"] })
        #expect(listeners.map { $0["scenario"] as? String } == ["default", "tarpit"])
        #expect(listeners.map { $0["port"] as? Int } == api.smtpPorts.map(Optional.some))
        let one = try api.get("/api/v1/listeners/\(port)/scenario").object()
        #expect((one["listeners"] as? [[String: Any]])?.first?["scenario"] as? String == "tarpit")

        let back = try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=default")
        #expect(back.status == 200)
        let client = try RawClient(port: port)
        #expect(try client.replyLine() == "220 mockmx.test ESMTP mockmx")
    }

    @Test func badScenarioIsRefusedWithLocatedDiagnosticsAndTheOldOneStays() throws {
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("greylist")])
        let port = api.smtpPorts[0]
        let yaml = """
            host:
              hostnme: x
            rules:
              - on: rcpr
                do: withhold
            """
        let refused = try api.request("PUT", "/api/v1/listeners/\(port)/scenario", body: Array(yaml.utf8))
        #expect(refused.status == 400)
        let document = try refused.object()
        #expect(Set(document.keys) == ["error", "diagnostics"])
        #expect(document["error"] as? String == "the scenario has 2 error(s); the listener keeps scenario greylist")
        let diagnostics = try #require(document["diagnostics"] as? [String])
        #expect(diagnostics.count == 2)
        #expect(diagnostics[0].hasPrefix("api:2:3: error: host"))
        #expect(diagnostics[1].hasPrefix("api:4:9: error: rules[0].on"))

        let unknown = try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=greylst")
        #expect(unknown.status == 400)
        let unknownDiagnostics = try #require(try unknown.object()["diagnostics"] as? [String])
        #expect(unknownDiagnostics.first?.hasPrefix("api: error: no bundled scenario named 'greylst'") == true)
        // Only bundled names: the API never reads files on the host's machine.
        let path = try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=/etc/passwd")
        #expect(path.status == 400)

        let both = try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=tarpit", body: Array("x".utf8))
        #expect(both.status == 400)
        #expect(try both.errorMessage() == "give a scenario name or a body, not both")
        let empty = try api.request("PUT", "/api/v1/listeners/\(port)/scenario")
        #expect(empty.status == 400)
        let notUTF8 = try api.request("PUT", "/api/v1/listeners/\(port)/scenario", body: [0xFF, 0xFE])
        #expect(try notUTF8.errorMessage() == "the body is not UTF-8 text")

        let elsewhere = try api.request("PUT", "/api/v1/listeners/1/scenario?name=tarpit")
        #expect(elsewhere.status == 404)
        #expect(try elsewhere.errorMessage() == "no SMTP listener on port 1; listening on 127.0.0.1:\(port)")
        let notAPort = try api.request("PUT", "/api/v1/listeners/smtp/scenario?name=tarpit")
        #expect(notAPort.status == 404)

        let listeners = try api.get("/api/v1/listeners").object()["listeners"] as? [[String: Any]]
        #expect(listeners?.first?["scenario"] as? String == "greylist")
        let client = try RawClient(port: port)
        #expect(try client.replyLine() == "220 mx.greylist.test ESMTP mockmx")
    }

    @Test func aJSONScenarioIsParsedStrictlyAsJSON() throws {
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("greylist")])
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/scenario"
        let trailingComma = Array("{\n  \"host\": {\"hostname\": \"mx.json.test\"},\n}\n".utf8)
        let refused = try api.request("PUT", path, body: trailingComma, contentType: "application/json")
        #expect(refused.status == 400)
        #expect(refused.headers["content-type"] == "application/json")
        let document = try refused.object()
        #expect(Set(document.keys) == ["error", "diagnostics"])
        #expect(
            document["error"] as? String
                == "the body is not JSON, as its Content-Type application/json says; "
                    + "the listener keeps scenario greylist")
        #expect(document["diagnostics"] as? [String] == ["api:2:39: error: invalid JSON: a trailing comma before '}'"])
        #expect(try RawClient(port: api.smtpPorts[0]).replyLine() == "220 mx.greylist.test ESMTP mockmx")

        // The same text as YAML (which allows the comma) is a good scenario.
        #expect(try api.request("PUT", path, body: trailingComma, contentType: "application/yaml").status == 200)
        #expect(try RawClient(port: api.smtpPorts[0]).replyLine() == "220 mx.json.test ESMTP mockmx")
        let json = Array(#"{"host": {"hostname": "mx.strict.test"}, "rules": []}"#.utf8)
        #expect(try api.request("PUT", path, body: json, contentType: "Application/JSON; charset=utf-8").status == 200)
        #expect(try RawClient(port: api.smtpPorts[0]).replyLine() == "220 mx.strict.test ESMTP mockmx")
    }

    @Test func badJSONBodiesAreLocatedAndNamed() throws {
        let api = try APIHost()
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/scenario"
        let cases: [(body: String, location: String, message: String)] = [
            (#"{"rules": [{"on": "rcpt", "do": "default"},]}"#, "1:43", "a trailing comma before ']'"),
            (#"{'host': {}}"#, "1:2", "expected a key in double quotes, found '''"),
            (#"{"host" {}}"#, "1:9", "expected ':' after the key, found '{'"),
            (#"{"host": {} "seed": 1}"#, "1:13", "expected ',' or '}' in an object, found '\"'"),
            (#"{"seed": 01}"#, "1:11", "a number must not start with 0 followed by digits"),
            (#"{"seed": 1.}"#, "1:12", "expected a digit, found '}'"),
            ("{\"summary\": \"a\tb\"}", "1:15", "control character U+0009 in a string; escape it"),
            (#"{"summary": "\q"}"#, "1:14", #"invalid escape '\q'"#),
            (#"{"summary": "\u12G4"}"#, "1:14", #"'\u' needs four hexadecimal digits"#),
            ("{\"summary\": \"open", "1:13", "the body ends inside this string"),
            ("{\"rules\": [", "1:12", "expected a value, found the end of the body"),
            (#"{} {}"#, "1:4", "'{' after the JSON value"),
            (#"{"seed": True}"#, "1:10", "expected a value, found 'T'"),
            ("greylist", "1:1", "expected a value, found 'g'"),
            ("# comment\n{}", "1:1", "expected a value, found '#'"),
            ("{\n\"summary\": \"é\" x}", "2:16", "expected ',' or '}' in an object, found 'x'"),
            (String(repeating: "[", count: 600), "1:65", "nested deeper than 64 levels"),
        ]
        for (body, location, message) in cases {
            let refused = try api.request("PUT", path, body: Array(body.utf8), contentType: "application/json")
            #expect(refused.status == 400, "\(body)")
            let diagnostics = try refused.object()["diagnostics"] as? [String]
            #expect(diagnostics == ["api:\(location): error: invalid JSON: \(message)"], "\(body)")
        }
        // Good JSON that is a bad scenario gets the scenario's own diagnostics.
        let unknownKey = try api.request(
            "PUT", path, body: Array(#"{"banner": "x"}"#.utf8), contentType: "application/problem+json")
        #expect(unknownKey.status == 400)
        #expect(try unknownKey.errorMessage() == "the scenario has 1 error(s); the listener keeps scenario default")
    }

    @Test func aRepeatedQueryParameterIsRefusedOnEveryRoute() throws {
        let api = try APIHost(scenarios: [.defaultPersona])
        _ = try api.deliver()
        let port = api.smtpPorts[0]
        let requests: [(String, String, String)] = [
            ("GET", "/api/v1/wait?messages=1&messages=5", "messages"),
            ("GET", "/api/v1/wait?messages=1&timeout=1s&timeout=2s", "timeout"),
            ("GET", "/api/v1/messages?recipient=b@example.org&sender=a@example.com&recipient=x@example.org",
             "recipient"),
            ("PUT", "/api/v1/listeners/\(port)/scenario?name=greylist&name=tarpit", "name"),
            ("POST", "/api/v1/reset?scenarios=keep&scenarios=", "scenarios"),
        ]
        for (method, path, name) in requests {
            let refused = try api.request(method, path)
            #expect(refused.status == 400, "\(path)")
            #expect(try refused.errorMessage() == "query parameter '\(name)' is given 2 times; give it once", "\(path)")
        }
        let thrice = try api.get("/api/v1/messages?sender=a&sender=b&sender=a")
        #expect(try thrice.errorMessage() == "query parameter 'sender' is given 3 times; give it once")
        // Percent-encoding does not hide a repeat.
        let encoded = try api.get("/api/v1/messages?sender=a&s%65nder=b")
        #expect(try encoded.errorMessage() == "query parameter 'sender' is given 2 times; give it once")
        #expect(try api.listenerScenario("/api/v1/listeners/\(port)/scenario") == "default")
        #expect(try api.get("/api/v1/messages").object()["total"] as? Int == 1)
    }

    // MARK: - Reset, health, metrics

    @Test func resetClearsMessagesSessionsMetricsAndRuleCounters() async throws {
        let clock = TestClock()
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("greylist")], clock: clock)
        try api.expectGreylisted(true)
        clock.advance(milliseconds: 300_000)
        _ = try api.deliver()
        #expect(try api.metric("mockmx_sessions_total") == 2)

        let reset = try api.request("POST", "/api/v1/reset")
        #expect(reset.status == 200)
        #expect(reset.text == #"{"status":"reset"}"# + "\n")
        #expect(try api.get("/api/v1/messages").object()["total"] as? Int == 0)
        #expect(try api.get("/api/v1/sessions").object()["total"] as? Int == 0)
        #expect(try api.metric("mockmx_sessions_total") == 0)
        #expect(try api.metric("mockmx_messages_total") == 0)

        // The greylist forgets the triplet it had let through: greylisted again until the delay has passed.
        try api.expectGreylisted(true)
        clock.advance(milliseconds: 300_000)
        try api.expectGreylisted(false)
    }

    /// A suite sharing one host gets a clean slate per test: a scenario one test switched to does not greylist the
    /// next. `?scenarios=keep` is for a suite that sets its scenarios up once.
    @Test func resetRestoresEachListenersStartUpScenarioUnlessAskedToKeep() throws {
        let api = try APIHost(scenarios: [.defaultPersona])
        let path = "/api/v1/listeners/\(api.smtpPorts[0])/scenario"
        #expect(try api.request("PUT", path + "?name=greylist").status == 200)
        try api.expectGreylisted(true)

        #expect(try api.request("POST", "/api/v1/reset").status == 200)
        #expect(try api.listenerScenario(path) == "default")
        let restored = try RawClient(port: api.smtpPorts[0])
        #expect(try restored.replyLine() == "220 mockmx.test ESMTP mockmx")
        try api.expectGreylisted(false)

        #expect(try api.request("PUT", path + "?name=greylist").status == 200)
        try api.expectGreylisted(true)
        let kept = try api.request("POST", "/api/v1/reset?scenarios=keep")
        #expect(kept.status == 200)
        #expect(kept.text == #"{"status":"reset"}"# + "\n")
        #expect(try api.listenerScenario(path) == "greylist")
        // The kept scenario's rule state starts again all the same: the next session is greylisted as a first one.
        try api.expectGreylisted(true)
    }

    @Test func resetRefusesWhatItDoesNotUnderstand() throws {
        let api = try APIHost(scenarios: [.defaultPersona])
        _ = try api.deliver()
        let other = try api.request("POST", "/api/v1/reset?scenarios=drop")
        #expect(other.status == 400)
        #expect(
            try other.errorMessage()
                == "scenarios must be 'keep' (or left out to restore the start-up scenarios), found 'drop'")
        let typo = try api.request("POST", "/api/v1/reset?scenario=keep")
        #expect(typo.status == 400)
        #expect(try typo.errorMessage() == "unknown query parameter 'scenario' for /api/v1/reset; it takes scenarios")
        let twice = try api.request("POST", "/api/v1/reset?scenarios=keep&scenarios=keep")
        #expect(twice.status == 400)
        #expect(try twice.errorMessage() == "query parameter 'scenarios' is given 2 times; give it once")
        // A refused reset resets nothing.
        #expect(try api.get("/api/v1/messages").object()["total"] as? Int == 1)
    }

    @Test func healthAndPrometheusMetrics() async throws {
        let clock = TestClock()
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("greylist")], clock: clock)
        let health = try api.get("/healthz")
        #expect(health.status == 200)
        let document = try health.object()
        #expect(Set(document.keys) == ["status", "listeners"])
        #expect(document["status"] as? String == "ok")
        #expect((document["listeners"] as? [[String: Any]])?.first?["scenario"] as? String == "greylist")

        try api.expectGreylisted(true)
        clock.advance(milliseconds: 300_000)
        _ = try api.deliver()
        #expect(await api.host.sessions.wait(forEnded: 2, timeout: .seconds(10)))
        let metrics = try api.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let lines = Set(metrics.text.split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: [
            "# TYPE mockmx_sessions_total counter", "mockmx_sessions_total 2", "mockmx_sessions_active 0",
            "mockmx_sessions_held 0", "mockmx_messages_total 1", "mockmx_messages_dropped_total 0",
            "mockmx_replies_total{code=\"220\"} 2", "mockmx_replies_total{code=\"451\"} 1",
            "mockmx_replies_total{code=\"221\"} 2", "# TYPE mockmx_rule_fired_total counter",
            "mockmx_api_waits_pending 0", "mockmx_connections_refused_total 0",
            "mockmx_state_keys 1", "mockmx_state_keys_evicted_total 0",
        ]))
        // A named rule is counted under its name (an unnamed one under `rule N`).
        #expect(lines.contains(#"mockmx_rule_fired_total{rule="greylisted triplet"} 1"#))
        #expect(try api.metric("mockmx_bytes_sent_total") > 100)
        #expect(try api.metric("mockmx_bytes_received_total") > 50)
    }

    @Test func heldSessionsAndRetentionDropsAreCounted() throws {
        let scenario = try ScenarioLoader.load(
            yaml: "rules:\n  - on: rcpt\n    when: {session: 1}\n    do: withhold\n", file: "hold.yaml")
        let api = try APIHost(scenarios: [scenario], messageRetention: 1)
        let held = try RawClient(port: api.smtpPorts[0])
        _ = try held.reply()
        try held.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
        _ = try held.reply()
        _ = try held.reply()
        #expect(try api.eventually { try api.metric("mockmx_sessions_held") == 1 })
        #expect(try api.metric("mockmx_sessions_active") == 1)
        _ = try api.deliver()
        _ = try api.deliver()
        #expect(try api.metric("mockmx_messages_dropped_total") == 1)
        #expect(try api.get("/api/v1/messages").object()["total"] as? Int == 1)
    }

    // MARK: - HTTP errors and the token

    @Test func errorsAreJSONWithTheRightStatus() throws {
        let api = try APIHost()
        let unknown = try api.get("/api/v2/messages")
        #expect(unknown.status == 404)
        #expect(unknown.headers["content-type"] == "application/json")
        #expect(try unknown.errorMessage() == "no such endpoint: /api/v2/messages")

        let wrongMethod = try api.request("POST", "/api/v1/messages")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET, HEAD, DELETE")
        #expect(try wrongMethod.errorMessage() == "POST is not allowed on /api/v1/messages; use GET, HEAD, DELETE")
        let patch = try api.request("PATCH", "/api/v1/listeners/\(api.smtpPorts[0])/scenario")
        #expect(patch.status == 405)
        #expect(patch.headers["allow"] == "GET, HEAD, PUT")
        let getReset = try api.get("/api/v1/reset")
        #expect(getReset.status == 405 && getReset.headers["allow"] == "POST")

        let head = try api.request("HEAD", "/healthz")
        #expect(head.status == 200 && head.body.isEmpty)

        // An oversized body is refused before any handler runs (APILimitTests has every route's limit).
        let huge = [UInt8](repeating: UInt8(ascii: "#"), count: 2 << 20)
        let tooLarge = try api.request("PUT", "/api/v1/listeners/\(api.smtpPorts[0])/scenario", body: huge)
        #expect(tooLarge.status == 413)
        #expect(try api.get("/healthz").status == 200)
    }

    /// During the grace period the API still answers, and health says the host is going away.
    @Test func healthIsUnavailableOnceShutdownBegins() throws {
        let api = try APIHost()
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        try client.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        let host = api.host
        let stopped = Thread { host.shutdown(graceMilliseconds: 30_000) }
        stopped.start()
        // The shutdown starts on the loop thread at its next pass; no fixed wait, just ask until it shows.
        var health = try api.get("/healthz")
        for _ in 0..<500 where health.status == 200 { health = try api.get("/healthz") }
        #expect(health.status == 503)
        #expect(String(decoding: health.body, as: UTF8.self).contains(#""status":"shutting-down""#))
        // The message inside DATA still completes, then the host says goodbye.
        try client.send(".\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        #expect(try client.replyLine().hasPrefix("421 "))
        #expect(api.host.messages.totalAccepted == 1)
    }

    @Test func bearerTokenGuardsEverythingButHealth() throws {
        let api = try APIHost(token: "s3cret")
        #expect(try api.get("/healthz").status == 200)
        for path in ["/api/v1/messages", "/metrics", "/api/v1/nosuch"] {
            let refused = try api.get(path)
            #expect(refused.status == 401, "\(path)")
            #expect(refused.headers["www-authenticate"] == "Bearer realm=\"mockmx\"")
            #expect(try refused.errorMessage() == "missing or wrong bearer token (Authorization: Bearer …)")
        }
        #expect(try api.get("/api/v1/messages", headers: ["Authorization: Bearer s3cre"]).status == 401)
        #expect(try api.get("/api/v1/messages", headers: ["Authorization: Bearer s3cret!"]).status == 401)
        #expect(try api.get("/api/v1/messages", headers: ["Authorization: Bearer s3cret"]).status == 200)
    }

    @Test func noAPIUnlessConfigured() throws {
        let live = try LiveHost()
        #expect(live.host.api == nil)
    }

    // MARK: - The executable

    @Test func serveReportsTheAPIPortInTheReadyFileAndServesIt() throws {
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-ready.json").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--api-token", "t0ken", "--ready-file", ready,
        ])
        // The ready file is complete before the first line is printed.
        let listening = try #require(serve.line())
        #expect(listening.hasPrefix("mockmx: listening on 127.0.0.1:"))
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready))) as? [String: Any])
        let apiEntry = try #require(document["api"] as? [String: Any])
        #expect(Set(apiEntry.keys) == ["host", "port", "address"])
        let apiPort = try #require(apiEntry["port"] as? Int)
        #expect(apiPort > 0 && apiEntry["address"] as? String == "127.0.0.1:\(apiPort)")
        #expect(serve.line() == "mockmx: control API on http://127.0.0.1:\(apiPort)")
        let smtpPort = try #require((document["smtp"] as? [[String: Any]])?.first?["port"] as? Int)

        let base = "http://127.0.0.1:\(apiPort)"
        #expect(try Curl.run(["\(base)/healthz"]).status == 200)
        _ = try APIHost.deliver(port: smtpPort)
        let waited = try Curl.run(["-H", "Authorization: Bearer t0ken", "\(base)/api/v1/wait?messages=1&timeout=10s"])
        #expect(waited.status == 200)
        let messages = try Curl.run(["-H", "Authorization: Bearer t0ken", "\(base)/api/v1/messages"]).object()
        #expect(messages["total"] as? Int == 1)
        #expect(serve.terminate().status == 0)
    }

    @Test func serveWithoutAPIWritesNullInTheReadyFile() throws {
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-ready.json").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "none", "--ready-file", ready,
        ])
        _ = try #require(serve.line())
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready)))
        #expect((document as? [String: Any])?["api"] is NSNull)
        #expect(serve.terminate().status == 0)
    }

    // MARK: - Pinned shapes

    static let envelopeKeys: Set<String> = [
        "id", "session", "listener", "client", "helo", "mailFrom", "mailParameters", "recipients",
        "recipientParameters", "size", "receivedAt", "xexch50", "tls", "authenticatedUser", "lmtp",
    ]

    static let sessionKeys: Set<String> = [
        "id", "listener", "scenario", "client", "startedAt", "endedAt", "endReason", "messages",
        "transcriptEntries", "omittedTranscriptEntries", "rulesFired",
    ]
}

/// A host in this process with its control API on 127.0.0.1:0.
final class APIHost {
    let host: MockMXHost
    let smtpPorts: [Int]
    let base: String
    private let token: String?

    /// `configure` changes anything else (spool, retention budgets) before the host starts.
    init(
        scenarios: [Scenario] = [.defaultPersona], token: String? = nil, messageRetention: Int = 10_000,
        clock: TestClock? = nil, stateKeysPerListener: Int? = nil,
        configure: (inout HostConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = HostConfiguration(
            listeners: scenarios.map { ListenerConfiguration(address: "127.0.0.1:0", scenario: $0) },
            messageRetention: messageRetention, shutdownGraceMilliseconds: 1_000,
            apiAddress: "127.0.0.1:0", apiToken: token)
        if let clock { configuration.realClock = { clock.milliseconds } }
        if let stateKeysPerListener { configuration.stateKeysPerListener = stateKeysPerListener }
        configure(&configuration)
        host = try MockMXHost(configuration)
        smtpPorts = try host.start().map(\.port)
        let api = try #require(host.api)
        base = api.url
        self.token = token
    }

    deinit { host.shutdown(graceMilliseconds: 0) }

    func get(_ path: String, headers: [String] = []) throws -> Curl.Result {
        try Curl.run(headers.flatMap { ["-H", $0] } + ["\(base)\(path)"])
    }

    func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/yaml"
    ) throws -> Curl.Result {
        try start(method, path, body: body, contentType: contentType).finish()
    }

    func start(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/yaml",
        maxTime: Double = 30
    ) throws -> Curl.Running {
        var arguments = method == "HEAD" ? ["-I"] : ["-X", method]
        if body != nil { arguments += ["--data-binary", "@-", "-H", "Content-Type: \(contentType)"] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        return try Curl.start(arguments + ["\(base)\(path)"], input: body, maxTime: maxTime)
    }

    /// The scenario `GET /api/v1/listeners/{port}/scenario` names.
    func listenerScenario(_ path: String) throws -> String? {
        let listeners = try get(path).object()["listeners"] as? [[String: Any]]
        return listeners?.first?["scenario"] as? String
    }

    /// A counter or gauge without labels from `/metrics`.
    func metric(_ name: String) throws -> Int {
        let text = try get("/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("\(name) ") }
        return line.flatMap { Int($0.split(separator: " ")[1]) } ?? -1
    }

    /// Polls a condition that has no event to wait for (a client's socket closing, a session parking).
    func eventually(_ condition: () throws -> Bool) throws -> Bool {
        for _ in 0..<200 {
            if try condition() { return true }
            usleep(25_000)
        }
        return false
    }

    func deliver(
        from sender: String = "a@example.com", to recipients: [String] = ["b@example.org"],
        mailParameters: String = "", content: String = "Subject: hi\r\n\r\nhello\r\n"
    ) throws -> String {
        try deliver(from: sender, to: recipients, mailParameters: mailParameters, content: Array(content.utf8))
    }

    func deliver(
        from sender: String = "a@example.com", to recipients: [String] = ["b@example.org"],
        mailParameters: String = "", content: [UInt8]
    ) throws -> String {
        try APIHost.deliver(
            port: smtpPorts[0], from: sender, to: recipients, mailParameters: mailParameters, content: content)
    }

    /// Sends one message and QUITs; returns the id from the `250 … queued as ID` reply.
    static func deliver(
        port: Int, from sender: String = "a@example.com", to recipients: [String] = ["b@example.org"],
        mailParameters: String = "", content: [UInt8] = Array("Subject: hi\r\n\r\nhello\r\n".utf8)
    ) throws -> String {
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("HELO client.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<\(sender)>\(mailParameters)\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
        for recipient in recipients {
            try client.send("RCPT TO:<\(recipient)>\r\n")
            #expect(try client.replyLine().hasPrefix("250"))
        }
        try client.send("DATA\r\n")
        _ = try client.reply()
        try client.send(content + Array(".\r\n".utf8))
        let queued = try client.replyLine()
        try client.send("QUIT\r\n")
        _ = try client.reply()
        _ = client.ending()
        return queued.split(separator: " ").last.map(String.init) ?? ""
    }

    /// One connection to a greylisting listener: RCPT refused (a triplet new, or seen less than 5 minutes ago)
    /// or accepted.
    func expectGreylisted(_ greylisted: Bool) throws {
        let client = try RawClient(port: smtpPorts[0])
        _ = try client.reply()
        try client.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n")
        _ = try client.reply()
        _ = try client.reply()
        #expect(try client.replyLine().hasPrefix(greylisted ? "451 4.7.1" : "250 2.1.5"))
        _ = try client.reply()
        _ = client.ending()
    }
}

/// The real `curl`, its response split into status, headers and the body's exact bytes.
enum Curl {
    struct Result {
        var exitStatus: Int32
        var status: Int
        /// Names lowercased.
        var headers: [String: String]
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        func object() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: body)
            return try #require(object as? [String: Any], "not a JSON object: \(text)")
        }

        func errorMessage() throws -> String {
            try #require(try object()["error"] as? String)
        }
    }

    final class Running {
        private let process: Process
        private let output: Pipe

        fileprivate init(process: Process, output: Pipe) {
            self.process = process
            self.output = output
        }

        func finish() throws -> Result {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Curl.parse(data, exitStatus: process.terminationStatus)
        }
    }

    static func run(_ arguments: [String]) throws -> Result {
        try start(arguments).finish()
    }

    static func start(_ arguments: [String], input: [UInt8]? = nil, maxTime: Double = 30) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // -i: the headers before the body; no Expect: 100-continue round trip.
        process.arguments = ["curl", "-s", "-i", "--max-time", String(maxTime), "-H", "Expect:"] + arguments
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input)) }
        try stdin.fileHandleForWriting.close()
        return Running(process: process, output: output)
    }

    static func parse(_ data: Data, exitStatus: Int32) -> Result {
        var result = Result(exitStatus: exitStatus, status: 0, headers: [:], body: Data())
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else { return result }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        result.status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            result.headers[line[..<colon].lowercased()] = value
        }
        result.body = Data(data[end.upperBound...])
        return result
    }
}
