import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// Proxy mode with a second in-process mockmx as the upstream: the relay, the rules on the upstream's
/// replies, STARTTLS toward it, and its failures. In-process, so the sanitizer passes cover the upstream leg
/// (the tests against aiosmtpd and Postfix are in Tests/RealHosts).
@Suite struct ProxyTests {
    private func proxy(to upstream: LiveHost, _ extra: String = "") throws -> LiveHost {
        try LiveHost(yaml: "upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s}\n" + extra)
    }

    @Test func aMessageIsRelayedAndStoredOnBothHostsWithTheUpstreamsReplies() async throws {
        let upstream = try LiveHost(yaml: "host: {hostname: real.test}\n")
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        #expect(try client.replyLine() == "220 real.test ESMTP mockmx")
        try client.send("EHLO c.test\r\n")
        #expect(try client.reply().first == "250-real.test")
        try client.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
        #expect(try client.replyLine().hasPrefix("250 2.1.0"))
        #expect(try client.replyLine().hasPrefix("250 2.1.5"))
        #expect(try client.replyLine().hasPrefix("354"))
        try client.send("Subject: relayed\r\n\r\n..dot\r\n.\r\n")
        let queued = try client.replyLine()
        #expect(queued.hasPrefix("250 2.0.0 Ok: queued as "))
        try client.send("QUIT\r\n")
        #expect(try client.replyLine().hasPrefix("221"))
        #expect(await upstream.waitForMessages(1))
        #expect(await front.waitForMessages(1))
        #expect(upstream.messages[0].content == Array("Subject: relayed\r\n\r\n.dot\r\n".utf8))
        #expect(front.messages[0].content == upstream.messages[0].content)
        // The upstream's queue id reached the client: the reply was the upstream's.
        #expect(queued.hasSuffix(upstream.messages[0].id))
    }

    @Test func aRuleActsOnTheUpstreamsReply() async throws {
        let upstream = try LiveHost()
        let front = try proxy(to: upstream, "rules:\n  - on: data\n    do: [default, close]\n")
        let client = try RawClient(port: front.port)
        _ = try client.reply()
        try client.send("EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
        _ = try client.reply()
        _ = try client.reply()
        _ = try client.reply()
        #expect(try client.replyLine().hasPrefix("354"))
        #expect(client.ending().0 == .fin)
        // The upstream saw its session end in the middle of DATA.
        #expect(await upstream.waitForEndedSessions(1))
        let session = try #require(upstream.host.sessions.all.first)
        #expect(session.ended?.reason == .clientVanished)
        #expect(upstream.messages.isEmpty)
    }

    @Test func theUpstreamLegUsesStartTLSWhenOffered() async throws {
        let upstream = try LiveHost(yaml: "host: {extensions: [PIPELINING, STARTTLS, ENHANCEDSTATUSCODES]}\n")
        let front = try proxy(to: upstream)
        let client = try RawClient(port: front.port)
        _ = try client.reply()
        try client.send("EHLO c.test\r\n")
        // The client is offered mockmx's own STARTTLS, though the upstream's list after its TLS has none.
        #expect(try client.reply() == ["250-mockmx.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250 STARTTLS"])
        try client.send("QUIT\r\n")
        #expect(try client.replyLine().hasPrefix("221"))
        #expect(await front.waitForEndedSessions(1))
        #expect(await upstream.waitForEndedSessions(1))
        let notes = try #require(front.host.sessions.all.first).transcript.map(\.text)
        #expect(notes.contains { $0.hasPrefix("TLS toward upstream established: TLSv1.3") })
        let upstreamNotes = try #require(upstream.host.sessions.all.first).transcript.map(\.text)
        #expect(upstreamNotes.contains { $0.hasPrefix("TLS established") })
    }

    @Test func anUnreachableUpstreamIsA421Greeting() async throws {
        // A port bound but not listening: connecting is refused, and no other test can take it meanwhile.
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(socketFD, $0, length)
                _ = getsockname(socketFD, $0, &length)
            }
        }
        let gone = Int(UInt16(bigEndian: address.sin_port))
        let front = try LiveHost(yaml: "upstream: 127.0.0.1:\(gone)\n")
        let client = try RawClient(port: front.port)
        let greeting = try client.replyLine()
        #expect(greeting.hasPrefix("421 4.4.1 mockmx.test Upstream host 127.0.0.1:\(gone) not reachable: connection failed"))
        #expect(client.ending().0 == .fin)
    }

    @Test func aSilentUpstreamTimesOutInto451() async throws {
        let upstream = try LiveHost(yaml: "rules:\n  - on: mail\n    do: withhold\n")
        let front = try LiveHost(yaml: "upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 200ms}\n")
        let client = try RawClient(port: front.port)
        _ = try client.reply()
        try client.send("EHLO c.test\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@x.test>\r\n")
        #expect(try client.replyLine().hasPrefix("451 4.4.2 mockmx.test Upstream host 127.0.0.1:\(upstream.port) failed: no reply within 200 ms"))
        try client.send("NOOP\r\n")
        #expect(try client.replyLine().hasPrefix("421 4.4.1 "))
        #expect(client.ending().0 == .fin)
    }
}
