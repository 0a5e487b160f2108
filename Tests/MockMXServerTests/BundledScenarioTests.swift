import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// Every bundled scenario, driven from outside over loopback, with its observable effect asserted.
@Suite struct BundledScenarioTests {
    private func host(_ name: String) throws -> LiveHost {
        try LiveHost(scenario: ScenarioLoader.resolve(name))
    }

    /// Greeting, EHLO, MAIL, RCPT — the usual way into a transaction.
    private func openTransaction(_ client: RawClient, recipient: String = "r@example.org") throws {
        _ = try client.reply()
        try client.send("EHLO client.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<s@example.com>\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
        try client.send("RCPT TO:<\(recipient)>\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
    }

    private let blob: [UInt8] = Array("\r\n.\r\n".utf8) + [UInt8](repeating: 0xA5, count: 1119)

    @Test func everyBundledScenarioHasALiveTest() {
        let tested: Set = [
            "accept-all", "exchange-2003", "xexch50-withheld-ack", "xexch50-blob-swallowed", "xexch50-not-authorized",
            "close-after-354", "reset-mid-data", "no-ack-after-dot", "greylist", "tarpit", "greeting-421",
            "greeting-554", "pix-mailguard", "asa-esmtp-inspect", "mixed-recipients", "strict-pipelining",
            "rate-limited", "chaos", "mailbox-full", "exam", "lmtp-mailbox-full",
        ]
        #expect(Set(BundledScenarios.all.map(\.name)) == tested)
    }

    @Test func acceptAllStoresTheMessage() async throws {
        let live = try host("accept-all")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("hi\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.0.0 Ok: queued as"))
        #expect(live.messages.count == 1)
    }

    @Test func xexch50WithheldAckNeverAnswersTheBlob() async throws {
        let live = try host("xexch50-withheld-ack")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("XEXCH50 1124 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        try client.send(blob)
        try client.send("NOOP\r\n")
        let (ending, bytes) = client.ending(timeout: 0.7)
        #expect(ending == .open)
        #expect(bytes.isEmpty)
        let session = try #require(live.host.sessions.all.first)
        let label = "the blob's acknowledgement never comes (xexch50-withheld-ack.yaml:"
        #expect(session.transcript.contains { $0.text.hasPrefix(label) && $0.text.hasSuffix(" on xexch50.blob: withhold") })
        // Input is still read and recorded while the acknowledgement is withheld.
        #expect(await eventually { session.transcript.contains { $0.direction == .client && $0.text == "NOOP" } })
        #expect(session.ended == nil)
    }

    @Test func xexch50BlobSwallowedByTheFirewall() async throws {
        let live = try host("xexch50-blob-swallowed")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("XEXCH50 1124 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        try client.send(blob)
        #expect(client.ending(timeout: 0.7) == (.open, []))
        let session = try #require(live.host.sessions.all.first)
        #expect(await eventually { session.transcript.contains { $0.text.hasPrefix("firewall swallowed") } })
        #expect(!session.transcript.contains { $0.text.contains("XEXCH50 blob") })
    }

    @Test func xexch50NotAuthorizedKeepsTheTrailingSpace() throws {
        let live = try host("xexch50-not-authorized")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("XEXCH50 1124 2\r\n")
        #expect(try client.replyLine() == "504 Need to authenticate first ")
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("x\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
        #expect(live.messages.first?.xexch50 == nil)
    }

    @Test func closeAfter354() async throws {
        let live = try host("close-after-354")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354 "))
        #expect(client.ending().0 == .fin)
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all.first?.ended?.reason == .closedByRule)
    }

    @Test func resetMidDataAfterFourKilobytes() async throws {
        let live = try host("reset-mid-data")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354 "))
        try? client.send([UInt8](repeating: UInt8(ascii: "a"), count: 8192))
        #expect(client.ending().0 == .reset)
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all.first?.ended?.reason == .resetByRule)
        #expect(live.messages.isEmpty)
    }

    @Test func noAckAfterDot() throws {
        let live = try host("no-ack-after-dot")
        let client = try RawClient(port: live.port)
        try openTransaction(client)
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354 "))
        try client.send("Subject: x\r\n\r\nbody\r\n.\r\n")
        #expect(client.ending(timeout: 0.7) == (.open, []))
        #expect(live.messages.isEmpty)
    }

    @Test func greylistRefusesATripletUntilItsDelayHasPassed() throws {
        let clock = TestClock()
        let live = try LiveHost(scenario: ScenarioLoader.resolve("greylist"), clock: clock)
        func attempt(from sender: String = "s@example.com") throws -> String {
            let client = try RawClient(port: live.port)
            _ = try client.reply()
            try client.send("EHLO c.example\r\nMAIL FROM:<\(sender)>\r\nRCPT TO:<r@example.org>\r\nQUIT\r\n")
            _ = try client.reply()
            _ = try client.reply()
            return try client.replyLine()
        }
        #expect(try attempt() == "451 4.7.1 Greylisted, please come back in 00:05:00")
        clock.advance(milliseconds: 120_000)
        #expect(try attempt() == "451 4.7.1 Greylisted, please come back in 00:03:00")
        #expect(try attempt(from: "other@example.com") == "451 4.7.1 Greylisted, please come back in 00:05:00")
        clock.advance(milliseconds: 180_000)
        #expect(try attempt() == "250 2.1.5 Ok")
        #expect(try attempt(from: "other@example.com") == "451 4.7.1 Greylisted, please come back in 00:02:00")
    }

    @Test func tarpitDelaysTheGreetingAndTricklesReplies() throws {
        let live = try host("tarpit")
        let started = Date()
        let client = try RawClient(port: live.port, timeout: 20)
        let greeting = try client.replyLine()
        let elapsed = Date().timeIntervalSince(started)
        #expect(greeting.hasPrefix("220 "))
        // 5 s of silence, then one byte per 50 ms.
        let trickled = Double(greeting.utf8.count + 2) * 0.05
        #expect(elapsed >= 5 + trickled * 0.9, "greeting after \(elapsed) s")
    }

    @Test func greeting421Closes() throws {
        let live = try host("greeting-421")
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine() == "421 4.7.0 mx.greeting-421.test Error: too many connections")
        #expect(client.ending().0 == .fin)
    }

    @Test func greeting554ThenOnly503UntilQuit() throws {
        let live = try host("greeting-554")
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("554 "))
        try client.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n")
        #expect(try client.replyLine().hasPrefix("503 "))
        #expect(try client.replyLine().hasPrefix("503 "))
        #expect(try client.replyLine().hasPrefix("221 "))
        #expect(client.ending().0 == .fin)
    }

    @Test func pixMailguardMasksTheBannerAndOverwritesEhlo() async throws {
        let live = try host("pix-mailguard")
        let client = try RawClient(port: live.port)
        let banner = try client.replyLine()
        #expect(banner.hasPrefix("220 *"))
        #expect(banner.allSatisfy { "20* ".contains($0) })
        try client.send("EHLO client.example\r\n")
        #expect(try client.replyLine().hasPrefix("500 "))
        try client.send("HELO client.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        try client.send("via pix\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        let session = try #require(live.host.sessions.all.first)
        #expect(session.transcript.contains { $0.direction == .client && $0.text == "EHLO client.example" })
        #expect(session.transcript.contains { $0.direction == .hostReceived && $0.text.hasPrefix("XXXX") })
    }

    @Test func pixMailguardLosesAnEndOfDataSplitAcrossSegments() throws {
        let live = try host("pix-mailguard")
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("HELO c.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        try client.send("body\r\n")
        Thread.sleep(forTimeInterval: 0.1)  // a separate TCP segment on purpose: that is the bug
        try client.send(".\r\n")
        #expect(client.ending(timeout: 0.7) == (.open, []))
    }

    @Test func asaMasksStartTLSAndDropsLongCommands() async throws {
        let live = try host("asa-esmtp-inspect")
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("220 *"))
        try client.send("EHLO client.example\r\n")
        let ehlo = try client.reply()
        #expect(ehlo.contains("250-XXXXXXXA"))
        #expect(!ehlo.contains { $0.contains("STARTTLS") })
        #expect(ehlo.contains("250-PIPELINING"))
        try client.send("NOOP " + String(repeating: "x", count: 600) + "\r\n")
        #expect(client.ending().0 == .reset)
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all.first?.ended?.reason == .droppedByFirewall)
    }

    @Test func mixedRecipientsInOnePipelinedBatch() throws {
        let live = try host("mixed-recipients")
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        try client.send(
            "MAIL FROM:<s@example.com>\r\nRCPT TO:<bounce-1@example.org>\r\nRCPT TO:<ok@example.org>\r\n"
                + "RCPT TO:<unknown@example.org>\r\nDATA\r\n")
        var codes: [String] = []
        for _ in 0..<5 { codes.append(String(try client.replyLine().prefix(3))) }
        #expect(codes == ["250", "550", "250", "550", "354"])
        try client.send("x\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
        #expect(live.messages.first?.recipients == ["ok@example.org"])
    }

    @Test func strictPipeliningDropsAPipeliningClient() throws {
        let live = try host("strict-pipelining")
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        #expect(!(try client.reply()).contains { $0.contains("PIPELINING") })
        try client.send("MAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\n")
        #expect(try client.replyLine() == "554 5.5.0 Error: SMTP protocol synchronization")
        #expect(client.ending().0 == .fin)
    }

    @Test func rateLimitedAfterFiveMessagesAMinuteFromOneClient() throws {
        let clock = TestClock()
        let live = try LiveHost(scenario: ScenarioLoader.resolve("rate-limited"), clock: clock)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        for _ in 0..<5 {
            try client.send("MAIL FROM:<s@example.com>\r\nRCPT TO:<r@example.org>\r\nDATA\r\nx\r\n.\r\n")
            var codes: [String] = []
            for _ in 0..<4 { codes.append(String(try client.replyLine().prefix(3))) }
            #expect(codes == ["250", "250", "354", "250"])
        }
        try client.send("MAIL FROM:<s@example.com>\r\n")
        #expect(try client.replyLine() == "421 4.7.0 mx.rate-limited.test Error: too many messages from this client, "
            + "try again in 00:01:00")
        #expect(client.ending().0 == .fin)
        #expect(live.messages.count == 5)
        // The limit is per client, not per connection; the window slides: once the first messages are a minute
        // old, a new connection gets through.
        clock.advance(milliseconds: 59_999)
        let early = try RawClient(port: live.port)
        _ = try early.reply()
        try early.send("EHLO c.example\r\nMAIL FROM:<s@example.com>\r\n")
        _ = try early.reply()
        #expect(try early.replyLine().hasSuffix("try again in 00:00:01"))
        clock.advance(milliseconds: 1)
        try openTransaction(try RawClient(port: live.port))
    }

    @Test func mailboxFullRefusesTheFourthMessageToOneRecipient() async throws {
        let live = try host("mailbox-full")
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        for _ in 0..<3 {
            try client.send("MAIL FROM:<s@example.com>\r\nRCPT TO:<full@example.org>\r\nDATA\r\nx\r\n.\r\n")
            var codes: [String] = []
            for _ in 0..<4 { codes.append(String(try client.replyLine().prefix(3))) }
            #expect(codes == ["250", "250", "354", "250"])
        }
        try client.send("MAIL FROM:<s@example.com>\r\nRCPT TO:<full@example.org>\r\nRCPT TO:<other@example.org>\r\n")
        _ = try client.reply()
        #expect(try client.replyLine() == "452 4.2.2 Mailbox full")
        #expect(try client.replyLine().hasPrefix("250"))
        try client.send("DATA\r\nx\r\n.\r\n")
        _ = try client.reply()
        _ = try client.reply()
        #expect(await live.waitForMessages(4))
        #expect(live.messages.last?.recipients == ["other@example.org"])
    }

    /// The same seed gives the same faults in the same order, session after session.
    @Test func lmtpMailboxFullRefusesTheFullMailboxAndDeliversToTheOthers() async throws {
        let live = try LiveHost(scenario: ScenarioLoader.resolve("lmtp-mailbox-full"), lmtp: true)
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine() == "220 lmtp.mailbox-full.test LMTP mockmx")
        try client.send("LHLO client.example\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<full.user@example.org>\r\n")
        try client.send("RCPT TO:<r@example.org>\r\nBDAT 5 LAST\r\nhello")
        for _ in 0..<4 { #expect(try client.reply().last?.hasPrefix("250") == true) }
        #expect(try client.replyLine() == "452 4.2.2 Mailbox full")
        #expect(try client.replyLine().hasPrefix("250 2.0.0 <r@example.org> Ok: delivered as "))
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.lmtp?.delivered == ["r@example.org"])
    }

    @Test func chaosIsReproducibleFromItsSeed() throws {
        func outcomes() throws -> [String] {
            let live = try host("chaos")
            var seen: [String] = []
            for _ in 0..<25 {
                let client = try RawClient(port: live.port, timeout: 0.5)
                var codes: [String] = []
                let steps = ["EHLO c.example\r\n", "MAIL FROM:<s@example.com>\r\n", "RCPT TO:<r@example.org>\r\n",
                             "DATA\r\n", "x\r\n.\r\n"]
                do {
                    codes.append(String(try client.replyLine().prefix(3)))
                    for step in steps {
                        try client.send(step)
                        codes.append(String(try client.reply().last!.prefix(3)))
                    }
                } catch {
                    codes.append("-")
                }
                seen.append(codes.joined(separator: " "))
            }
            return seen
        }
        let first = try outcomes()
        #expect(first == (try outcomes()))
        #expect(first.contains { $0.contains("-") || $0.contains("4") }, "no fault fired in 25 sessions: \(first)")
    }
}

/// Polls a condition that another thread makes true (transcript entries are written on the loop).
func eventually(_ condition: @escaping () -> Bool) async -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
