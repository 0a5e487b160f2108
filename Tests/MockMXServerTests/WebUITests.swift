import Foundation
import MockMXScenario
@testable import MockMXServer
import Testing

/// The web UI's files and the API routes it needs, driven with `curl` against a host in this process.
/// The page itself is driven in a real browser by `scripts/test-webui`.
@Suite struct WebUITests {
    static let webUIDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/MockMXServer/WebUI")

    @Test func everyFileInWebUIIsServedByteForByte() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.webUIDirectory.path).sorted()
        let hint = "Sources/MockMXServer/WebUI and WebUIAssets.all (Package.swift's resources) list different files"
        #expect(WebUIAssets.all.keys.sorted() == names, "\(hint)")
        let api = try APIHost()
        for name in names {
            let onDisk = try Data(contentsOf: Self.webUIDirectory.appendingPathComponent(name))
            let served = try api.get("/ui/\(name)")
            #expect(served.status == 200, "\(name)")
            #expect(served.body == onDisk, "\(name)")
        }
    }

    @Test func thePageStaysSmall() {
        let bytes = WebUIAssets.all.values.reduce(0) { $0 + $1.bytes.count }
        #expect(bytes < 200_000, "the web UI is \(bytes) bytes; keep it under 200 KB")
    }

    @Test func thePageIsServedWithoutTheTokenAndTheDataIsNot() throws {
        let api = try APIHost(token: "s3cret")
        let page = try api.get("/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<script src=\"/ui/app.js\""))
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        let script = try api.get("/ui/app.js")
        #expect(script.status == 200)
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(try api.get("/ui/style.css").headers["content-type"] == "text/css; charset=utf-8")

        let missing = try api.get("/ui/nothing.js")
        #expect(missing.status == 404)
        #expect(try missing.errorMessage() == "no web UI file named 'nothing.js'")
        #expect(try api.get("/ui/app.js/more").status == 401)
        #expect(try api.get("/api/v1/sessions").status == 401)
        #expect(try api.get("/api/v1/listeners/1/scenario/source").status == 401)
        #expect(try api.get("/api/v1/sessions", headers: ["Authorization: Bearer s3cret"]).status == 200)
        let post = try api.request("POST", "/")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
    }

    // MARK: - The change sequence

    @Test func aChangeLongPollAnswersWhenASessionStartsGrowsAndEnds() throws {
        let api = try APIHost()
        let first = try api.get("/api/v1/wait?change=0").object()
        let seen = try #require(first["change"] as? Int)
        #expect(seen >= 1)

        // A session starting is a change, before it says anything.
        let waiting = try api.start("GET", "/api/v1/wait?change=\(seen)&timeout=20s")
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 1 })
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        let started = try waiting.finish()
        #expect(started.status == 200)
        let afterStart = try #require(try started.object()["change"] as? Int)
        #expect(afterStart > seen)

        // A command and its reply in the open session are another.
        let growing = try api.start("GET", "/api/v1/wait?change=\(afterStart)&timeout=20s")
        #expect(try api.eventually { try api.metric("mockmx_api_waits_pending") == 1 })
        try client.send("NOOP\r\n")
        _ = try client.reply()
        let grew = try growing.finish()
        #expect(grew.status == 200)
        let afterGrowth = try #require(try grew.object()["change"] as? Int)
        #expect(afterGrowth > afterStart)

        // Nothing new: 408 with the same number, the counters beside it.
        let quiet = try api.get("/api/v1/wait?change=\(afterGrowth)&timeout=300ms")
        #expect(quiet.status == 408)
        #expect(
            quiet.text == #"{"change":\#(afterGrowth),"error":"timed out waiting for a change after \#(afterGrowth)","#
                + #""messages":0,"sessions":0}"# + "\n")

        // Other waits keep their shape.
        #expect(try api.get("/api/v1/wait?messages=0").text == #"{"messages":0,"sessions":0}"# + "\n")
    }

    @Test func aChangeLongPollRefusesBadNumbers() throws {
        let api = try APIHost()
        for (value, message) in [("-1", "change must be a whole number ≥ 0, found '-1'"),
                                 ("soon", "change must be a whole number ≥ 0, found 'soon'")] {
            let answer = try api.get("/api/v1/wait?change=\(value)")
            #expect(answer.status == 400)
            #expect(try answer.errorMessage() == message)
        }
        let twice = try api.get("/api/v1/wait?change=1&change=2")
        #expect(twice.status == 400)
        #expect(try twice.errorMessage() == "query parameter 'change' is given 2 times; give it once")
    }

    // MARK: - Sessions as the page lists them

    @Test func openSessionsAreListedAndTheRulesThatFiredAreNamed() throws {
        let greylist = try ScenarioLoader.resolve("greylist")
        let api = try APIHost(scenarios: [greylist])
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        try client.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
        _ = try client.replyLine()
        _ = try client.replyLine()
        #expect(try client.replyLine().hasPrefix("451"))
        let sessions = try #require(try api.get("/api/v1/sessions").object()["sessions"] as? [[String: Any]])
        #expect(sessions.count == 1)
        #expect(sessions[0]["endedAt"] is NSNull)
        #expect(sessions[0]["rulesFired"] as? [String] == [greylist.rules[0].label])
    }

    // MARK: - Scenario source

    @Test func theScenarioSourceIsTheTextLoadedOrPut() throws {
        let greylist = try ScenarioLoader.resolve("greylist")
        let api = try APIHost(scenarios: [greylist, .defaultPersona])
        let port = api.smtpPorts[0]
        let bundled = try #require(BundledScenarios.all.first { $0.name == "greylist" })
        let source = try api.get("/api/v1/listeners/\(port)/scenario/source")
        #expect(source.status == 200)
        #expect(source.headers["content-type"] == "text/yaml; charset=utf-8")
        #expect(source.text == bundled.yaml)

        let mine = "summary: mine\nhost:\n  hostname: mx.mine.test\n"
        #expect(try api.request("PUT", "/api/v1/listeners/\(port)/scenario", body: Array(mine.utf8)).status == 200)
        #expect(try api.get("/api/v1/listeners/\(port)/scenario/source").text == mine)
        #expect(try api.request("PUT", "/api/v1/listeners/\(port)/scenario?name=tarpit").status == 200)
        let tarpit = try #require(BundledScenarios.all.first { $0.name == "tarpit" })
        #expect(try api.get("/api/v1/listeners/\(port)/scenario/source").text == tarpit.yaml)

        let builtIn = try api.get("/api/v1/listeners/\(api.smtpPorts[1])/scenario/source")
        #expect(builtIn.status == 404)
        #expect(try builtIn.errorMessage() == "scenario default is built in and has no source text")
        let noPort = try api.get("/api/v1/listeners/1/scenario/source")
        #expect(noPort.status == 404)
        #expect(try noPort.errorMessage().hasPrefix("no SMTP listener on port 1; listening on "))
        #expect(try api.get("/api/v1/listeners/x/scenario/source").status == 404)
        #expect(try api.request("PUT", "/api/v1/listeners/\(port)/scenario/source").status == 405)
        #expect(try api.get("/api/v1/listeners/\(port)/scenario/source?x=1").status == 400)
    }
}
