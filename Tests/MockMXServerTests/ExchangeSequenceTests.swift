import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// The originating case: an Exchange 2003 server delivering with XEXCH50 (docs/wire-facts.md, "The case mockmx
/// was written for").
@Suite struct ExchangeSequenceTests {
    @Test func exchangeReplaysXEXCH50StepByStep() async throws {
        let live = try LiveHost(scenario: try ScenarioLoader.resolve("exchange-2003"))
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("220 "))
        try client.send("EHLO exchange2003.example\r\n")
        let ehlo = try client.reply()
        #expect(ehlo.contains("250-XEXCH50"))
        #expect(ehlo.last == "250 OK")
        try client.send("MAIL FROM:<sender@example.com>\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        try client.send("RCPT TO:<rcpt@example.org>\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        try client.send("XEXCH50 1124 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        var blob = Array("\r\n.\r\n".utf8) + Array("..leading dots\r\n.\r\n".utf8)
        while blob.count < 1124 { blob.append(UInt8(truncatingIfNeeded: blob.count * 7)) }
        try client.send(blob)
        #expect(try client.replyLine() == "250 2.0.0 XEXCH50 OK")
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354 "))
        try client.send("Subject: from exchange\r\n\r\nbody\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.0.0 "))
        try client.send("QUIT\r\n")
        #expect(try client.replyLine().hasPrefix("221 "))
        #expect(client.ending().0 == .fin)

        let message = try #require(live.messages.first)
        #expect(message.xexch50?.bytes == blob)
        #expect(message.xexch50?.recipientArgument == 2)
        #expect(String(decoding: message.content, as: UTF8.self) == "Subject: from exchange\r\n\r\nbody\r\n")
    }

    @Test func pipelinedBatchInOneWrite() async throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO batch.example\r\n")
        _ = try client.reply()
        try client.send(
            "MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n"
                + "Subject: batch\r\n\r\nRSET\r\n.\r\nQUIT\r\n")
        var replies: [String] = []
        for _ in 0..<6 { replies.append(try client.replyLine()) }
        #expect(replies == [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued as \(live.messages.first?.id ?? "?")", "221 2.0.0 Bye",
        ])
        let message = try #require(live.messages.first)
        #expect(message.recipients == ["x@example.org", "y@example.org"])
        #expect(String(decoding: message.content, as: UTF8.self) == "Subject: batch\r\n\r\nRSET\r\n")
    }
}
