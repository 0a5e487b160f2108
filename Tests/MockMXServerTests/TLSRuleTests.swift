import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// `on: tls` rules run through the same plan executor as every other event: after the `220` to STARTTLS is
/// on the wire, before the handshake.
@Suite struct TLSRuleTests {
    private func host(_ rules: String) throws -> LiveHost {
        try LiveHost(yaml: """
            host:
              hostname: mx.tls.test
              extensions: [PIPELINING, STARTTLS, ENHANCEDSTATUSCODES]
            rules:
            \(rules)
            """)
    }

    /// Connects, says EHLO and STARTTLS, and gets the `220`.
    private func startTLS(_ port: Int) throws -> RawClient {
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        try client.send("STARTTLS\r\n")
        #expect(try client.replyLine() == "220 2.0.0 Ready to start TLS")
        return client
    }

    /// The first bytes of a TLS 1.2 ClientHello record, enough for the host to see a handshake begin.
    private let clientHelloStart: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x2F, 0x01, 0x00, 0x00, 0x2B, 0x03, 0x03]

    @Test func delayThenResetResetsAfterTheDelay() async throws {
        let live = try host("""
              - on: tls
                do: [{delay: 400ms}, reset]
            """)
        let client = try startTLS(live.port)
        try client.send(clientHelloStart)
        #expect(client.ending(timeout: 5).0 == .reset)
        #expect(await live.waitForEndedSessions(1))
        let session = live.host.sessions.all[0]
        #expect(session.ended?.reason == .resetByRule)
        // The delay runs from the 220 on the host's side.
        let ready = try #require(session.transcript.first { $0.text == "220 2.0.0 Ready to start TLS" })
        let reset = try #require(session.transcript.first { $0.text == "resetting the connection (RST)" })
        #expect(reset.time.timeIntervalSince(ready.time) >= 0.4)
        let texts = session.transcript.map(\.text)
        #expect(texts.contains { $0.hasSuffix("delay 400ms, reset") })
        #expect(!texts.contains { $0.hasPrefix("TLS established") })
    }

    @Test(.enabled(if: ExternalClient.available("openssl"))) func delayThenResetDefeatsARealHandshake() async throws {
        let live = try host("""
              - on: tls
                do: [{delay: 200ms}, reset]
            """)
        let result = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-brief",
        ], input: "")
        #expect(result.status != 0)
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all[0].ended?.reason == .resetByRule)
    }

    @Test(.enabled(if: ExternalClient.available("swaks")))
    func aDelayAloneSlowsTheHandshakeAndMailStillFlows() async throws {
        let live = try host("""
              - on: tls
                do: {delay: 300ms}
            """)
        let started = ContinuousClock.now
        let result = try ExternalClient.run([
            "swaks", "--server", "127.0.0.1:\(live.port)", "--from", "s@example.com", "--to", "r@example.org", "--tls",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.receivedOverTLS == true)
    }

    @Test func closeAfterADelayEndsWithFin() async throws {
        let live = try host("""
              - on: tls
                do: [{delay: 100ms}, close]
            """)
        let client = try startTLS(live.port)
        try client.send(clientHelloStart)
        #expect(client.ending(timeout: 5).0 == .fin)
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all[0].ended?.reason == .closedByRule)
    }

    /// A raw client, not openssl: a client that reads the `220` and the bytes after it in one read keeps them
    /// in its line buffer, and whether its handshake then fails depends on timing.
    @Test func rawBytesGoWhereTheHandshakeShouldStart() async throws {
        let live = try host("""
              - on: tls
                do: {raw: "554 5.7.0 TLS inspection failed\\r\\n"}
            """)
        let client = try startTLS(live.port)
        #expect(try client.readLine() == "554 5.7.0 TLS inspection failed")
        // The host went on to TLS: a client that gives up mid-handshake fails it.
        try client.send(clientHelloStart)
        client.shutdownWrite()
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all[0].ended?.reason == .tlsFailed)
    }

    @Test func withholdNeverAnswersTheHandshake() async throws {
        let live = try host("""
              - on: tls
                do: withhold
            """)
        let client = try startTLS(live.port)
        try client.send(clientHelloStart)
        #expect(client.ending(timeout: 0.5).0 == .open)
        let texts = live.host.sessions.all[0].transcript.map(\.text)
        #expect(texts.contains("the handshake is never answered"))
        #expect(live.host.sessions.all[0].ended == nil)
    }

    @Test(
        arguments: ["reply: \"454 4.7.0 TLS not available\"", "trickle: 1s", "default", "truncate: 3", "drop-message"])
    func actionsThatCannotApplyBeforeAHandshakeAreRefusedWhereTheyAreWritten(_ action: String) throws {
        let yaml = """
            host: {extensions: [PIPELINING, STARTTLS]}
            rules:
              - on: tls
                do: [{delay: 1s}, {\(action)}]
            """
        let error = try #require(throws: ScenarioLoadError.self) {
            try ScenarioLoader.load(yaml: yaml, file: "tls.yaml")
        }
        let rendered = "\(error)"
        #expect(rendered.hasPrefix("tls.yaml:4:23: error: rules[0].do[1]:"), "\(rendered)")
        #expect(rendered.contains("cannot apply on tls"), "\(rendered)")
    }
}
