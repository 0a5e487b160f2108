import Foundation
import MockMXScenario
import Testing

/// The bundled `exam` host, one recipient domain at a time, over real sockets. The clock runs a thousand
/// times faster (`--clock-scale 0.001`) and scenario time moves only when the test advances it.
@Suite struct ExamScenarioTests {
    private let clock = TestClock()
    private let live: LiveHost

    init() throws {
        live = try LiveHost(scenario: ScenarioLoader.resolve("exam"), clock: clock, clockScale: 0.001)
    }

    /// Greeting and EHLO answered; the client is ready for MAIL.
    private func session() throws -> RawClient {
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO sender.example\r\n")
        _ = try client.reply()
        return client
    }

    private func rcpt(_ client: RawClient, _ recipient: String, from sender: String = "s@example.com") throws -> String {
        try client.send("MAIL FROM:<\(sender)>\r\nRCPT TO:<\(recipient)>\r\n")
        _ = try client.reply()
        return try client.replyLine()
    }

    /// DATA with a one-line body, after RCPT was accepted: the end-of-data reply.
    private func data(_ client: RawClient) throws -> String {
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("Subject: exam\r\n\r\nbody\r\n.\r\n")
        return try client.replyLine()
    }

    @Test func rejectAndPartialRefuseTheirRecipients() async throws {
        let client = try session()
        #expect(try rcpt(client, "anyone@reject.exam.test").hasPrefix("550 5.1.1"))
        try client.send("RSET\r\n")
        _ = try client.reply()
        #expect(try rcpt(client, "good@partial.exam.test").hasPrefix("250"))
        try client.send("RCPT TO:<bad.one@Partial.Exam.Test>\r\n")
        #expect(try client.replyLine().hasPrefix("550 5.1.1"))
        #expect(try data(client).hasPrefix("250"))
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.recipients == ["good@partial.exam.test"])
    }

    @Test func greylistAndTempfailAcceptTheRetryAfterTheirDelay() throws {
        #expect(try rcpt(try session(), "t@greylist.exam.test") == "451 4.7.1 Greylisted, please come back in 00:05:00")
        let early = try session()
        #expect(try rcpt(early, "t@tempfail.exam.test").hasPrefix("250"))
        #expect(try data(early) == "451 4.3.0 Temporary failure after the data, try again in 00:01:00")
        clock.advance(milliseconds: 300)  // five scenario minutes
        #expect(try rcpt(try session(), "t@greylist.exam.test").hasPrefix("250"))
        let retry = try session()
        #expect(try rcpt(retry, "t@tempfail.exam.test").hasPrefix("250"))
        #expect(try data(retry).hasPrefix("250"))
    }

    @Test func drop354ClosesAfterTheGoAhead() throws {
        let client = try session()
        #expect(try rcpt(client, "t@drop354.exam.test").hasPrefix("250"))
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        #expect(client.ending().0 == .fin)
    }

    @Test func slowWaitsItsScaledDelays() throws {
        let client = try session()
        let start = Date()
        #expect(try rcpt(client, "t@slow.exam.test").hasPrefix("250"))
        #expect(Date().timeIntervalSince(start) >= 0.24)  // 4 minutes at a scale of 0.001
        #expect(try data(client).hasPrefix("250"))
        #expect(Date().timeIntervalSince(start) >= 0.78)
    }

    @Test func multilineRepliesToMailRcptDataAndTheEnd() throws {
        let client = try session()
        try client.send("MAIL FROM:<me@multiline.exam.test>\r\n")
        #expect(try client.reply().count == 3)
        try client.send("RCPT TO:<t@multiline.exam.test>\r\nDATA\r\n")
        #expect(try client.reply() == ["250-2.1.5 Recipient ok", "250 2.1.5 (two lines)"])
        #expect(try client.reply() == ["354-Go ahead", "354 End data with <CR><LF>.<CR><LF>"])
        try client.send("x\r\n.\r\n")
        #expect(try client.reply() == ["250-2.0.0 Ok: queued", "250 2.0.0 (two lines)"])
    }

    @Test func ratelimitRefusesTheFourthRecipientInAMinuteAndNolimitAcceptsAll() throws {
        let client = try session()
        try client.send("MAIL FROM:<s@example.com>\r\n")
        _ = try client.reply()
        var codes: [String] = []
        for index in 0..<4 {
            try client.send("RCPT TO:<r\(index)@ratelimit.exam.test>\r\n")
            codes.append(try client.replyLine())
        }
        #expect(codes.prefix(3).allSatisfy { $0.hasPrefix("250") })
        #expect(codes[3] == "450 4.7.1 Recipient rate limit exceeded, try again in 00:01:00")
        for index in 0..<10 {
            try client.send("RCPT TO:<r\(index)@nolimit.exam.test>\r\n")
            #expect(try client.replyLine().hasPrefix("250"))
        }
    }
}
