import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// LMTP listeners over real sockets (TCP and unix-domain), driven byte for byte.
@Suite struct LMTPTests {
    private static let mailboxFull = """
        rules:
          - name: mailbox full
            on: data.end
            when: {recipient: full@lmtp.test}
            do: {reply: "452 4.2.2 Mailbox full"}
        """

    private func host(_ yaml: String = "rules: []", address: String = "127.0.0.1:0") throws -> LiveHost {
        try LiveHost(scenario: ScenarioLoader.load(yaml: yaml, file: "test.yaml"), address: address, lmtp: true)
    }

    /// LHLO, MAIL, the recipients and a message; returns the replies after DATA's content, one per recipient.
    private func deliver(_ client: RawClient, to recipients: [String]) throws -> [String] {
        #expect(try client.replyLine().hasPrefix("220 "))
        try client.send("LHLO client.test\r\n")
        let lhlo = try client.reply()
        #expect(lhlo.contains("250-PIPELINING") && lhlo.last == "250 ENHANCEDSTATUSCODES")
        let envelope = recipients.map { "RCPT TO:<\($0)>\r\n" }.joined()
        try client.send("MAIL FROM:<s@client.test>\r\n" + envelope + "DATA\r\n")
        for _ in 0...recipients.count { #expect(try client.replyLine().hasPrefix("250 ")) }
        #expect(try client.replyLine().hasPrefix("354 "))
        try client.send("Subject: lmtp\r\n\r\nhello\r\n.\r\n")
        return try recipients.map { _ in try client.replyLine() }
    }

    @Test func aRuleGivesOneRecipientItsOwnReplyAndTheMessageIsStoredOnceForTheOthers() async throws {
        let live = try host(Self.mailboxFull)
        let client = try RawClient(port: live.port)
        let replies = try deliver(client, to: ["a@lmtp.test", "full@lmtp.test", "b@lmtp.test"])
        #expect(replies[0].hasPrefix("250 2.0.0 <a@lmtp.test> Ok: delivered as "))
        #expect(replies[1] == "452 4.2.2 Mailbox full")
        #expect(replies[2].hasPrefix("250 2.0.0 <b@lmtp.test> Ok: delivered as "))
        try client.send("QUIT\r\n")
        #expect(try client.replyLine() == "221 2.0.0 Bye")
        #expect(await live.waitForEndedSessions(1))
        let messages = live.messages
        #expect(messages.count == 1)
        #expect(messages.first?.recipients == ["a@lmtp.test", "full@lmtp.test", "b@lmtp.test"])
        #expect(messages.first?.lmtp?.delivered == ["a@lmtp.test", "b@lmtp.test"])
        #expect(messages.first?.lmtp?.refused == [.init(recipient: "full@lmtp.test", code: 452)])
        let transcript = live.host.sessions.all[0].transcript
        let afterData = transcript.filter {
            $0.direction == .server && ($0.text.contains("lmtp.test>") || $0.text.hasPrefix("452"))
        }
        #expect(afterData.map(\.rule) == [nil, "mailbox full (test.yaml:2:5)", nil])
        let failed = live.host.verdicts.verdicts.filter { $0.result == .fail }
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test func closingAfterTheFirstRecipientsReplyLeavesTheOthersUnanswered() async throws {
        let live = try host("""
            rules:
              - on: data.end
                when: {recipient: a@lmtp.test}
                do: [default, close]
            """)
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("220 "))
        try client.send("LHLO c.test\r\nMAIL FROM:<s@c.test>\r\n")
        try client.send("RCPT TO:<a@lmtp.test>\r\nRCPT TO:<b@lmtp.test>\r\nDATA\r\n")
        for _ in 0..<5 { _ = try client.reply() }
        try client.send("x\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.0.0 <a@lmtp.test>"))
        #expect(client.ending().0 == .fin)
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.lmtp?.delivered == ["a@lmtp.test"])
        #expect(live.messages.first?.lmtp?.refused == [.init(recipient: "b@lmtp.test", code: nil)])
    }

    @Test func aDelayFallsBetweenTwoRecipientsReplies() async throws {
        let live = try host("""
            rules:
              - on: data.end
                when: {recipient: slow@lmtp.test}
                do: [{delay: 300ms}, default]
            """)
        let client = try RawClient(port: live.port)
        let started = Date()
        let replies = try deliver(client, to: ["a@lmtp.test", "slow@lmtp.test"])
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(replies.allSatisfy { $0.hasPrefix("250 2.0.0 <") })
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.lmtp?.delivered == ["a@lmtp.test", "slow@lmtp.test"])
    }

    @Test func badInputGetsItsReplyAndTheSessionGoesOn() throws {
        let live = try host()
        let client = try RawClient(port: live.port)
        #expect(try client.replyLine().hasPrefix("220 "))
        let exchanges = [
            ("LHLO\r\n", "501 5.5.4 Syntax: LHLO hostname"),
            ("EHLO c.test\r\n", "500 5.5.1 Error: this is LMTP, use LHLO"),
            ("HELO c.test\r\n", "500 5.5.1 Error: this is LMTP, use LHLO"),
            ("MAIL FROM:<s@c.test>\r\n", "503 5.5.1 Error: send LHLO first"),
        ]
        for (command, reply) in exchanges {
            try client.send(command)
            #expect(try client.replyLine() == reply)
        }
        try client.send("LHLO c.test\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<s@c.test>\r\nRCPT TO:<>\r\nDATA\r\nNOOP\r\n")
        #expect(try client.replyLine() == "250 2.1.0 Ok")
        #expect(try client.replyLine() == "501 5.1.3 Bad recipient address syntax")
        #expect(try client.replyLine() == "503 5.5.1 Error: need RCPT command")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
    }

    @Test func aUnixSocketListenerReplacesAStaleSocketAndRemovesItsOwnAtShutdown() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mockmx-lmtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("lmtp.sock").path
        // A stale socket file: bound once, its listener gone.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))

        var live: LiveHost? = try host(Self.mailboxFull, address: "unix:\(path)")
        #expect(live?.host.listeners.first?.name == "unix:\(path)")
        #expect(live?.host.listeners.first?.lmtp == true)
        let client = try RawClient(unixPath: path)
        let replies = try deliver(client, to: ["full@lmtp.test", "a@lmtp.test"])
        #expect(replies.first == "452 4.2.2 Mailbox full")
        #expect(await live!.waitForMessages(1))
        #expect(live?.messages.first?.clientAddress == "unix:")
        #expect(live?.messages.first?.listener == "unix:\(path)")

        // A second host on the same path: someone listens there, so it is refused.
        #expect(throws: HostError.self) { try host(address: "unix:\(path)") }
        live = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func clientKeysAndAddressRangesTakeAUnixSocketClient() async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("mockmx-\(UUID().uuidString).sock").path
        let live = try host("""
            rules:
              - name: loopback only
                on: mail
                when: {client: 127.0.0.0/8}
                do: {reply: "550 5.7.1 not from loopback"}
              - name: greylisted
                on: rcpt
                when: {greylist: {key: [client, recipient], delay: 5m}}
                do: {reply: "451 4.7.1 Greylisted"}
            """, address: "unix:\(path)")
        for _ in 0..<2 {
            let client = try RawClient(unixPath: path)
            _ = try client.reply()
            try client.send("LHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<a@lmtp.test>\r\nQUIT\r\n")
            _ = try client.reply()
            // A unix client is in no address range, and its greylist key is the same for every connection.
            #expect(try client.replyLine() == "250 2.1.0 Ok")
            #expect(try client.replyLine() == "451 4.7.1 Greylisted")
            #expect(try client.replyLine() == "221 2.0.0 Bye")
        }
        #expect(await live.waitForEndedSessions(2))
        #expect(live.host.sessions.all.map(\.clientAddress) == ["unix:", "unix:"])
        #expect(live.host.verdicts.verdicts.allSatisfy { $0.client == "unix:" })
    }

    @Test func aPathThatIsNoSocketIsAClearError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-lmtp-\(UUID().uuidString)")
        try Data("keep me".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            _ = try host(address: "unix:\(file.path)")
            Issue.record("bound over a regular file")
        } catch {
            #expect("\(error)" == "cannot listen on unix:\(file.path): the path exists and is not a socket")
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep me")
        do {
            _ = try host(address: "unix:/nonexistent-dir/lmtp.sock")
            Issue.record("bound in a missing directory")
        } catch {
            #expect("\(error)" == "cannot listen on unix:/nonexistent-dir/lmtp.sock: No such file or directory")
        }
        do {
            _ = try host(address: "unix:lmtp.sock")
            Issue.record("bound a relative path")
        } catch {
            #expect("\(error)" == "cannot listen on unix:lmtp.sock: give an absolute path shorter than 108 bytes")
        }
    }
}
