import Foundation
import MockMXScenario
import MockMXServer
import SMTPProtocol
import Testing

/// Misbehaving clients get the right answer, the host stays up, memory stays bounded.
@Suite struct BadInputTests {
    private func assertNextSessionWorks(_ live: LiveHost) throws {
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("220 "))
        try client.send("NOOP\r\n")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
    }

    @Test func hundredKilobyteLineIsRefusedAndTheSessionGoesOn() throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send(String(repeating: "X", count: 100_000) + "\r\nNOOP\r\n")
        #expect(try client.replyLine() == "500 5.5.2 Error: line too long")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
        try assertNextSessionWorks(live)
    }

    @Test func nulBytesAndBinaryJunkGetReplies() throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        var junk: [UInt8] = Array("HELO a\u{0}b\r\n".utf8)
        for index in 0..<4096 { junk.append(UInt8(truncatingIfNeeded: index &* 131 &+ 7)) }
        junk += Array("\r\nNOOP\r\n".utf8)
        try client.send(junk)
        var last = ""
        while last != "250 2.0.0 Ok" {
            last = try client.replyLine()
            #expect(last.hasPrefix("250") || last.hasPrefix("500 5.5.2") || last.hasPrefix("501"), "\(last)")
        }
        try assertNextSessionWorks(live)
    }

    @Test func commandsBeforeTheGreetingAreAnsweredAfterIt() throws {
        let live = try LiveHost(yaml: """
            rules:
              - on: connect
                do: [delay: 200ms, default]
            """)
        let client = try RawClient(port: live.port)
        try client.send("EHLO early.example\r\nNOOP\r\n")
        #expect(try client.replyLine().hasPrefix("220 "))
        #expect(try client.reply().first == "250-mockmx.test")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
    }

    @Test func fiftyMegabyteBodyAgainstOneMegabyteLimit() throws {
        var scenario = Scenario.defaultPersona
        scenario.host = SMTPServerConfiguration(limits: SMTPLimits(messageSize: 1 << 20))
        let live = try LiveHost(scenario: scenario)
        let client = try RawClient(port: live.port, timeout: 60)
        _ = try client.reply()
        try client.send("EHLO big.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        let before = residentMemoryBytes()
        let line = Array((String(repeating: "0123456789", count: 99) + "\r\n").utf8)
        let block = [UInt8]((0..<1024).flatMap { _ in line })  // ~1 MB
        for _ in 0..<50 { try client.send(block) }
        try client.send(".\r\n")
        #expect(try client.replyLine() == "552 5.3.4 Error: message file too big")
        let growth = residentMemoryBytes() - before
        #expect(growth < 32 << 20, "RSS grew by \(growth) bytes")
        #expect(live.messages.isEmpty)
        try client.send("NOOP\r\n")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
        try assertNextSessionWorks(live)
    }

    @Test func clientVanishingMidDataLosesNothingAcknowledged() async throws {
        let live = try LiveHost()
        do {
            let client = try RawClient(port: live.port)
            _ = try client.reply()
            try client.send("HELO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\npartial")
            for _ in 0..<4 { _ = try client.reply() }
        }
        #expect(await live.waitForEndedSessions(1))
        #expect(live.host.sessions.all.first?.ended?.reason == .clientVanished)
        #expect(live.messages.isEmpty)
        try assertNextSessionWorks(live)
    }
}
