import Foundation
import MockMXServer
import Testing

private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// What the proxy relays besides command lines: AUTH exchanges line by line, BDAT chunks with their counts,
/// XEXCH50 blobs — with a second in-process mockmx as the upstream, which judges them.
@Suite struct ProxyRelayTests {
    private func proxy(to upstream: LiveHost, _ extra: String = "") throws -> LiveHost {
        try LiveHost(yaml: "upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s}\n" + extra)
    }

    private func greetAndEHLO(_ client: RawClient) throws -> [String] {
        _ = try client.reply()
        try client.send("EHLO c.test\r\n")
        return try client.reply()
    }

    @Test func authLoginIsJudgedByTheUpstreamLineByLine() async throws {
        let upstream = try LiveHost(yaml: """
            host:
              extensions: [PIPELINING, "AUTH LOGIN XOAUTH2", ENHANCEDSTATUSCODES]
              auth: {users: {alice: secret}}
            """)
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(try greetAndEHLO(client).contains("250-AUTH LOGIN XOAUTH2"))
        try client.send("AUTH LOGIN\r\n")
        #expect(try client.replyLine() == "334 VXNlcm5hbWU6")
        try client.send("\(base64("alice"))\r\n")
        #expect(try client.replyLine() == "334 UGFzc3dvcmQ6")
        try client.send("\(base64("wrong"))\r\n")
        #expect(try client.replyLine() == "535 5.7.8 Error: authentication failed")
        try client.send("AUTH LOGIN \(base64("alice"))\r\n")
        #expect(try client.replyLine() == "334 UGFzc3dvcmQ6")
        try client.send("\(base64("secret"))\r\n")
        #expect(try client.replyLine() == "235 2.7.0 Authentication successful")
        try client.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try client.reply() }
        try client.send("Subject: authenticated\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.0.0"))
        #expect(await upstream.waitForMessages(1))
        #expect(await front.waitForMessages(1))
        #expect(upstream.messages[0].authenticatedUser == "alice")
        #expect(front.messages[0].authenticatedUser == "alice")
        // As for a local exchange, response lines are not written into the transcript.
        #expect(await front.waitForEndedSessions(1))
        let texts = try #require(front.host.sessions.all.first).transcript.map(\.text)
        #expect(texts.filter { $0 == "<AUTH response>" }.count == 3)
        #expect(!texts.contains { $0.contains(base64("secret")) || $0.contains(base64("wrong")) })
    }

    @Test func bdatChunksAreRelayedWithTheirCounts() async throws {
        let upstream = try LiveHost(yaml: "host: {extensions: [PIPELINING, CHUNKING, BINARYMIME, ENHANCEDSTATUSCODES]}\n")
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(try greetAndEHLO(client) == ["250-mockmx.test", "250-PIPELINING", "250-CHUNKING", "250-BINARYMIME", "250 ENHANCEDSTATUSCODES"])
        let first = Array("Subject: chunked\r\n\r\n.\r\n".utf8)
        let last: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
        try client.send("MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@x.test>\r\nBDAT \(first.count)\r\n")
        try client.send(first)
        try client.send("BDAT \(last.count) LAST\r\n")
        try client.send(last)
        #expect(try client.replyLine().hasPrefix("250 2.1.0"))
        #expect(try client.replyLine().hasPrefix("250 2.1.5"))
        #expect(try client.replyLine() == "250 2.0.0 Ok: \(first.count) octets received")
        let queued = try client.replyLine()
        try client.send("QUIT\r\n")
        #expect(await upstream.waitForMessages(1))
        #expect(upstream.messages[0].content == first + last)
        #expect(queued == "250 2.0.0 Ok: queued as \(upstream.messages[0].id)")
        #expect(await front.waitForMessages(1))
        #expect(front.messages[0].content == first + last)
    }

    @Test func withoutUpstreamChunkingBDATIsNotOfferedNorRelayed() async throws {
        let upstream = try LiveHost()
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(!(try greetAndEHLO(client)).contains { $0.hasSuffix("CHUNKING") })
        try client.send("BDAT 4 LAST\r\n")
        #expect(try client.replyLine() == "500 5.5.2 Error: command not recognized")
        try client.send("QUIT\r\n")
        #expect(try client.replyLine().hasPrefix("221"))
        #expect(await upstream.waitForEndedSessions(1))
        let upstreamLines = try #require(upstream.host.sessions.all.first).transcript.map(\.text)
        #expect(!upstreamLines.contains { $0.hasPrefix("BDAT") })
    }

    @Test func anXEXCH50BlobIsRelayedExactlyAndStoredUpstream() async throws {
        let upstream = try LiveHost(yaml: "extends: exchange-2003\n")
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(try greetAndEHLO(client).contains("250-XEXCH50"))
        let blob: [UInt8] = Array("\r\n.\r\nQUIT\r\n".utf8) + [0, 1, 2, 0xFE]
        try client.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n")
        _ = try client.reply()
        _ = try client.reply()
        try client.send("XEXCH50 \(blob.count) 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        try client.send(blob)
        #expect(try client.replyLine() == "250 2.0.0 XEXCH50 OK")
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        #expect(await upstream.waitForMessages(1))
        #expect(upstream.messages[0].xexch50?.bytes == blob)
        #expect(upstream.messages[0].xexch50?.recipientArgument == 2)
        #expect(await front.waitForMessages(1))
        #expect(front.messages[0].xexch50?.bytes == blob)
    }

    @Test func xexch50ToAnUpstreamWithoutItGetsTheUpstreamsRefusalAndDATAGoesOn() async throws {
        let upstream = try LiveHost()
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(!(try greetAndEHLO(client)).contains { $0.hasSuffix("XEXCH50") })
        try client.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nXEXCH50 8 2\r\n")
        _ = try client.reply()
        _ = try client.reply()
        #expect(try client.replyLine() == "500 5.5.2 Error: command not recognized")
        try client.send("DATA\r\n")
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.0.0"))
        #expect(await upstream.waitForMessages(1))
        let upstreamLines = try #require(upstream.host.sessions.all.first).transcript.map(\.text)
        #expect(upstreamLines.contains("XEXCH50 8 2"))
    }
}

/// A pipelining client's group goes up in one write when the upstream offers PIPELINING.
@Suite struct ProxyPipeliningTests {
    private func frontNotes(_ front: LiveHost) async throws -> [String] {
        #expect(await front.waitForEndedSessions(1))
        return try #require(front.host.sessions.all.first).transcript.map(\.text)
    }

    private func pipelinedDelivery(_ front: LiveHost) throws -> [String] {
        let client = try RawClient(port: front.port)
        _ = try client.reply()
        try client.send("EHLO c.test\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nrcpt to:<refused@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n")
        var replies: [String] = []
        for _ in 0..<5 { replies.append(try client.replyLine()) }
        try client.send("Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        replies.append(try client.replyLine())
        _ = try client.reply()
        return replies
    }

    @Test func theGroupGoesUpInOneWriteAndEachReplyIsStillItsOwn() async throws {
        let upstream = try LiveHost(yaml: """
            rules:
              - on: rcpt
                when: {args: refused@}
                do: {reply: "550 5.1.1 refused upstream"}
            """)
        let front = try LiveHost(yaml: """
            upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s}
            rules:
              - on: rcpt
                when: {args: c@}
                do: {reply: "451 4.3.0 deferred by the proxy"}
            """)
        let replies = try pipelinedDelivery(front)
        #expect(replies[0].hasPrefix("250 2.1.0") && replies[1].hasPrefix("250 2.1.5"))
        #expect(replies[2] == "550 5.1.1 refused upstream")
        #expect(replies[3] == "451 4.3.0 deferred by the proxy")
        #expect(replies[4].hasPrefix("354") && replies[5].hasPrefix("250 2.0.0 Ok: queued as"))
        #expect(await upstream.waitForMessages(1))
        // The upstream accepted c@ (the proxy's rule only changed what the client heard), b@ as the client did.
        #expect(upstream.messages[0].recipients == ["b@x.test", "c@x.test"])
        #expect(await front.waitForMessages(1))
        #expect(front.messages[0].recipients == ["b@x.test"])
        let notes = try await frontNotes(front)
        #expect(notes.contains("relaying 4 pipelined command(s) along with MAIL to upstream 127.0.0.1:\(upstream.port)"))
    }

    @Test func withoutPipeliningOfferedCommandsGoUpOneAtATime() async throws {
        let upstream = try LiveHost(yaml: "host: {extensions: [ENHANCEDSTATUSCODES]}\n")
        let front = try LiveHost(yaml: "upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s}\n")
        let replies = try pipelinedDelivery(front)
        #expect(replies[5].hasPrefix("250 2.0.0 Ok: queued as"))
        #expect(try await !frontNotes(front).contains { $0.hasPrefix("relaying 4 pipelined") })
    }
}
