import Foundation
import MockMXServer
import Testing

/// A rule is reported by its label everywhere (`NAME (FILE:LINE:COL)`, or `rule N (…)`), and counts per
/// message reach the rules.
@Suite struct RuleReportingTests {
    @Test func aNamedRuleIsReportedByNameInTheTranscriptAndTheMetrics() async throws {
        let live = try LiveHost(yaml: """
            rules:
              - name: second recipient refused
                on: rcpt
                when: {nth: 2}
                do: {reply: "452 4.5.3 Too many recipients"}
              - on: quit
                do: [{delay: 1ms}, default]
            """)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send(
            "HELO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nQUIT\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        #expect(try client.replyLine().hasPrefix("221"))
        #expect(await live.waitForEndedSessions(1))
        let transcript = live.host.sessions.all[0].transcript
        let refusal = try #require(transcript.first { $0.text.hasPrefix("452") })
        #expect(refusal.rule == "second recipient refused (test.yaml:2:5)")
        #expect(transcript.contains { $0.text == "second recipient refused (test.yaml:2:5) on rcpt: reply 452" })
        let bye = try #require(transcript.first { $0.text.hasPrefix("221") })
        #expect(bye.rule == "rule 1 (test.yaml:6:5)")
        let rules = live.host.metrics.snapshot.rules
        #expect(rules == ["second recipient refused": 1, "rule 1": 1])
    }

    @Test func nthInMessageRefusesTheSecondRecipientOfEveryMessage() async throws {
        let live = try LiveHost(yaml: """
            rules:
              - on: rcpt
                when: {nth-in-message: 2}
                do: {reply: "452 4.5.3 Error: too many recipients"}
            """)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("HELO c\r\n")
        _ = try client.reply()
        for message in 1...3 {
            try client.send("MAIL FROM:<a@example.com>\r\n")
            #expect(try client.replyLine().hasPrefix("250"))
            try client.send(
                "RCPT TO:<first@example.org>\r\nRCPT TO:<second@example.org>\r\nRCPT TO:<third@example.org>\r\n")
            #expect(try client.replyLine().hasPrefix("250"), "message \(message)")
            #expect(try client.replyLine() == "452 4.5.3 Error: too many recipients", "message \(message)")
            #expect(try client.replyLine().hasPrefix("250"), "message \(message)")
            if message == 2 {
                // An aborted transaction starts the count again too.
                try client.send("RSET\r\n")
                _ = try client.reply()
                continue
            }
            try client.send("DATA\r\n")
            _ = try client.reply()
            try client.send("Subject: \(message)\r\n\r\nhi\r\n.\r\n")
            #expect(try client.replyLine().hasPrefix("250"))
        }
        #expect(await live.waitForMessages(2))
        #expect(live.messages.map(\.recipients) == [
            ["first@example.org", "third@example.org"], ["first@example.org", "third@example.org"],
        ])
    }
}

/// A client line is dated when its bytes arrived, not when its step ran.
@Suite struct ArrivalTimeTests {
    @Test func aCommandPipelinedDuringADelayIsDatedWhenItArrived() async throws {
        let live = try LiveHost(yaml: """
            host: {extensions: [PIPELINING, ENHANCEDSTATUSCODES]}
            rules:
              - on: mail
                do: [{delay: 400ms}, default]
            """)
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n")
        for _ in 0..<3 { _ = try client.reply() }
        #expect(await live.waitForEndedSessions(1))
        let transcript = live.host.sessions.all[0].transcript
        let mail = try #require(transcript.first { $0.text.hasPrefix("MAIL FROM") })
        let rcpt = try #require(transcript.first { $0.text.hasPrefix("RCPT TO") })
        let mailReply = try #require(transcript.first { $0.direction == .server && $0.text.hasPrefix("250 2.1.0") })
        // Both commands came in one read, before the delayed reply to MAIL left.
        #expect(rcpt.time == mail.time)
        #expect(mailReply.time.timeIntervalSince(rcpt.time) >= 0.4)
        // The transcript stays in the order things happened on the host, not by time.
        let rcptIndex = try #require(transcript.firstIndex { $0.text.hasPrefix("RCPT TO") })
        let replyIndex = try #require(
            transcript.firstIndex { $0.direction == .server && $0.text.hasPrefix("250 2.1.0") })
        #expect(replyIndex < rcptIndex)
    }
}
