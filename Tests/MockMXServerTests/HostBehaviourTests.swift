import Foundation
import MockMXScenario
import MockMXServer
import Testing

@Suite struct HostBehaviourTests {
    @Test func spoolFilesExistBeforeTheAcknowledgement() throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let live = try LiveHost(spool: spool)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("HELO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhello\r\n.\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        let queued = try client.replyLine()
        let id = try #require(queued.split(separator: " ").last.map(String.init))
        // Read right after the 250: the files must already be complete.
        let content = try Data(contentsOf: URL(fileURLWithPath: "\(spool)/\(id).eml"))
        #expect(String(decoding: content, as: UTF8.self) == "hello\r\n")
        let envelope = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(spool)/\(id).json"))) as? [String: Any]
        #expect(envelope?["mailFrom"] as? String == "a@b.example")
        #expect(envelope?["recipients"] as? [String] == ["c@d.example"])
        #expect(envelope?["helo"] as? String == "a")
        #expect(envelope?["session"] as? String == live.messages.first?.sessionID)
    }

    /// Exim pipelines QUIT behind the dot and closes its sending side at once; the spool write still ends
    /// with the 250, then the 221.
    @Test(arguments: [true, false]) func aClientThatHalfClosesDuringTheStepStillGetsItsReplies(spool: Bool) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let slow = "summary: a slow end of data\nrules:\n  - {on: data.end, do: [{delay: 200ms}, default]}\n"
        let live = try LiveHost(
            scenario: spool ? .defaultPersona : ScenarioLoader.load(yaml: slow, file: "test.yaml"),
            spool: spool ? directory : nil)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        try client.send("hello\r\n.\r\nQUIT\r\n")
        client.shutdownWrite()
        #expect(try client.replyLine().hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(try client.replyLine() == "221 2.0.0 Bye")
        #expect(live.messages.count == 1)
    }

    @Test func transcriptHasBothDirectionsInOrder() async throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO t.example\r\nQUIT\r\n")
        _ = try client.reply()
        _ = try client.reply()
        #expect(await live.waitForEndedSessions(1))
        let session = try #require(live.host.sessions.all.first)
        let lines = session.transcript.filter { $0.direction != .note }.map { "\($0.direction.rawValue): \($0.text)" }
        #expect(lines == [
            "server: 220 mockmx.test ESMTP mockmx", "client: EHLO t.example", "server: 250-mockmx.test",
            "server: 250-PIPELINING", "server: 250-SIZE 10485760", "server: 250-8BITMIME",
            "server: 250 ENHANCEDSTATUSCODES", "client: QUIT", "server: 221 2.0.0 Bye",
        ])
        #expect(session.ended?.reason == .clientQuit)
        #expect(session.clientAddress == "127.0.0.1")
    }

    /// A message's lines, written into the log as bytes rather than interpolated strings.
    @Test func transcriptRecordsTheMessageAndItsStorage() async throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO t\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\nDATA\r\n")
        for _ in 0..<5 { _ = try client.reply() }
        try client.send("Hi\\\r\n.\r\nQUIT\r\n")
        let queued = try client.replyLine()
        _ = try client.reply()
        #expect(await live.waitForEndedSessions(1))
        let id = try #require(live.messages.first?.id)
        #expect(queued == "250 2.0.0 Ok: queued as \(id)")
        let texts = try #require(live.host.sessions.all.first).transcript.map(\.text)
        let dataEnd = try #require(texts.firstIndex(of: "<5 bytes of message content>"))
        #expect(texts[dataEnd + 1] == ".")
        #expect(texts.contains("message \(id) stored: 5 bytes for 2 recipient(s)"))
    }

    @Test func ipv6Loopback() throws {
        let live = try LiveHost(address: "[::1]:0")
        let client = try RawClient(port: live.port, host: "::1")
        #expect(try client.replyLine().hasPrefix("220 "))
        #expect(live.host.listeners.first?.name == "[::1]:\(live.port)")
    }

    @Test func shutdownSays421ToIdleSessionsAndLetsDataFinish() async throws {
        let live = try LiveHost()
        let idle = try RawClient(port: live.port)
        _ = try idle.reply()
        let sending = try RawClient(port: live.port)
        _ = try sending.reply()
        try sending.send("HELO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nfirst part\r\n")
        for _ in 0..<4 { _ = try sending.reply() }
        #expect(await live.host.sessions.wait(forStarted: 2, timeout: .seconds(5)))

        // A thread of its own: shutdown blocks, and the test's blocking reads must go on meanwhile.
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            live.host.shutdown(graceMilliseconds: 5_000)
            stopped.signal()
        }
        #expect(try idle.replyLine() == "421 4.3.2 mockmx.test Service shutting down")
        #expect(idle.ending().0 == .fin)
        try sending.send("second part\r\n.\r\n")
        #expect(try sending.replyLine().hasPrefix("250 2.0.0 Ok: queued as"))
        #expect(try sending.replyLine() == "421 4.3.2 mockmx.test Service shutting down")
        stopped.wait()
        #expect(String(decoding: live.messages[0].content, as: UTF8.self) == "first part\r\nsecond part\r\n")
        #expect((try? RawClient(port: live.port)) == nil)
    }

    @Test func idleTimeoutSays421() throws {
        let live = try LiveHost(yaml: """
            host:
              timeouts: {idle: 300ms}
            """)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        #expect(try client.replyLine() == "421 4.4.2 mockmx.test Error: timeout exceeded")
        #expect(client.ending().0 == .fin)
    }

    /// `--clock-scale` applies to the timeouts too: a 5-minute idle timeout at 0.001 is 300 ms.
    @Test func theClockScaleShortensTimeoutsAndDelays() throws {
        let live = try LiveHost(
            scenario: ScenarioLoader.load(yaml: """
                host: {timeouts: {idle: 5m}}
                rules: [{on: ehlo, do: {delay: 10m}}]
                """, file: "test.yaml"),
            clockScale: 0.001)
        let start = Date()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        #expect(try client.reply().first?.hasPrefix("250") == true)
        #expect(Date().timeIntervalSince(start) >= 0.55)  // libevent may fire a timer a few ms early
        #expect(try client.replyLine() == "421 4.4.2 mockmx.test Error: timeout exceeded")
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func aHostRefusesAClockScaleThatIsNotAboveZero() {
        var configuration = HostConfiguration()
        configuration.clockScale = 0
        #expect(throws: HostError.self) { try MockMXHost(configuration) }
        configuration.clockScale = 1
        configuration.stateKeysPerListener = 0
        #expect(throws: HostError.self) { try MockMXHost(configuration) }
    }
}

@Suite struct ConnectionLimitTests {
    @Test func connectionsBeyondTheLimitGet421AndOthersAreUndisturbed() throws {
        let host = try MockMXHost(
            HostConfiguration(listeners: [ListenerConfiguration(address: "127.0.0.1:0")], maxConnections: 2))
        let port = try host.start()[0].port
        defer { host.shutdown(graceMilliseconds: 0) }
        let first = try RawClient(port: port)
        let second = try RawClient(port: port)
        #expect(try first.replyLine().hasPrefix("220 "))
        #expect(try second.replyLine().hasPrefix("220 "))
        let third = try RawClient(port: port)
        #expect(try third.replyLine() == "421 4.7.0 mockmx.test Error: too many connections")
        #expect(third.ending().0 == .fin)
        try first.send("NOOP\r\n")
        #expect(try first.replyLine() == "250 2.0.0 Ok")
        #expect(host.metrics.snapshot.connectionsRefused == 1)
    }
}
