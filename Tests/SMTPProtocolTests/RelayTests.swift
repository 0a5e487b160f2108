@testable import SMTPProtocol
import Testing

private func base64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }

/// Proxy mode: the upstream's codes are committed (the driver's overrides stand for them), the session follows
/// them and keeps the counted bytes it must relay.
private func proxied(_ extensions: [String], messageSize: Int = 10_485_760, dripping: Bool = false) -> SessionDriver {
    var session = SessionDriver(
        SMTPServerConfiguration(
            hostname: "proxy.test", extensions: ["PIPELINING"] + extensions,
            limits: SMTPLimits(messageSize: messageSize)),
        dripping: dripping)
    session.machine.proxied = true
    session.send("EHLO c\r\n")
    _ = session.takeLines()
    return session
}

@Suite struct RelayTests {
    @Test(arguments: [false, true]) func authResponsesCarryTheirLineLocallyToo(dripping: Bool) {
        var session = SessionDriver(
            SMTPServerConfiguration(hostname: "mx.test", extensions: ["AUTH LOGIN"], auth: AuthPolicy(users: ["alice": "secret"])),
            dripping: dripping)
        session.send("EHLO c\r\nAUTH LOGIN\r\n\(base64("alice"))\r\n\(base64("secret"))\r\n")
        let responses = session.events.filter { $0.name == "auth.response" }
        #expect(responses == [.authResponse(line: Array(base64("alice").utf8)), .authResponse(line: Array(base64("secret").utf8))])
        #expect(session.machine.authenticatedUser == "alice")
    }

    @Test(arguments: [false, true]) func aRelayedLoginFollowsTheUpstreamsCodes(dripping: Bool) {
        var session = proxied(["AUTH LOGIN"], dripping: dripping)
        // No local users at all: the upstream's 334, 334, 235 decide.
        session.overrides = [334, 334, 235]
        session.send("AUTH LOGIN\r\n\(base64("alice"))\r\n\(base64("secret"))\r\nNOOP\r\n")
        #expect(session.events.suffix(4).map(\.name) == ["auth", "auth.response", "auth.response", "noop"])
        #expect(session.machine.authenticatedUser == "alice")
    }

    @Test func aMechanismOnlyTheUpstreamKnowsIsRelayed() {
        var session = proxied(["AUTH PLAIN"])
        session.overrides = [334, 235]
        session.send("AUTH XOAUTH2\r\ndG9rZW4=\r\n")
        #expect(session.events.last == .authResponse(line: Array("dG9rZW4=".utf8)))
        #expect(session.machine.authenticatedUser == "(XOAUTH2 via upstream)")
    }

    @Test func aRefusedRelayedExchangeEndsAndTheNextLineIsACommand() {
        var session = proxied(["AUTH PLAIN"])
        session.overrides = [334, 535]
        session.send("AUTH PLAIN\r\n\(base64("\u{0}alice\u{0}wrong"))\r\nNOOP\r\n")
        #expect(session.machine.authenticatedUser == nil)
        #expect(session.events.last?.name == "noop")
        // `*` is relayed too: the upstream answers the cancel.
        session.overrides = [334, 501]
        session.send("AUTH PLAIN\r\n*\r\n")
        #expect(session.events.last == .authResponse(line: [UInt8(ascii: "*")]))
    }

    @Test(arguments: [false, true]) func bdatChunksAreKeptForTheRelayOneAtATime(dripping: Bool) {
        var session = proxied(["CHUNKING"], dripping: dripping)
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
        var relayed: [[UInt8]] = []
        let input = Array("BDAT 5\r\n.\r\n\r\nBDAT 3 LAST\r\nend".utf8)
        for piece in dripping ? input.map { [$0] } : [input] {
            session.machine.receive(piece)
            while session.machine.nextStep() != nil {
                relayed.append(session.machine.relayedContent)
                session.machine.commit(sentCode: 250)
            }
        }
        #expect(relayed == [Array(".\r\n\r\n".utf8), Array("end".utf8)])
    }

    @Test func aChunkOverTheSizeLimitIsNotKeptWhole() {
        var session = proxied(["CHUNKING"], messageSize: 4)
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 6 LAST\r\n123456")
        #expect(session.events.last == .bdatChunk(bytes: 6, last: true, arguments: Array("6 LAST".utf8)))
        #expect(session.machine.relayedContent.count < 6)
    }

    @Test(arguments: [false, true]) func xexch50FollowsTheUpstreams354AndKeepsTheBlob(dripping: Bool) {
        // Size 3 is below what this host accepts (501 locally): the upstream's 354 decides.
        var session = proxied(["XEXCH50"], dripping: dripping)
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
        session.overrides = [354, 250]
        session.send("XEXCH50 3 2\r\n\r\n.NOOP\r\n")
        #expect(session.events.suffix(3) == [
            .command(verb: "XEXCH50", arguments: Array("3 2".utf8), recognized: true), .xexch50Blob(bytes: 3),
            .command(verb: "NOOP", arguments: [], recognized: true),
        ])
        #expect(session.machine.relayedContent == Array("\r\n.".utf8))
    }
}

@Suite struct PipelinedLinesTests {
    @Test func theGroupBehindTheCurrentCommandIsPeekedNotConsumed() {
        var session = proxied(["PIPELINING"])
        session.machine.receive(Array("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nrcpt to:<e@f>\r\nDATA\r\nSubject: x\r\n".utf8))
        let step = session.machine.nextStep()
        #expect(step?.event.name == "mail")
        #expect(session.machine.pipelinedLines().map { String(decoding: $0, as: UTF8.self) } == [
            "RCPT TO:<c@d>\r\n", "rcpt to:<e@f>\r\n", "DATA\r\n",
        ])
        #expect(session.machine.bufferedByteCount == 48)
    }

    @Test(arguments: [
        ("RCPT TO:<c@d>\r\nNOOP\r\nRCPT TO:<e@f>\r\n", ["RCPT TO:<c@d>\r\n"]),  // NOOP ends the group here
        ("RCPT TO:<c@d>\nRCPT TO:<e@f>\r\n", []),  // a bare LF is left to the session
        ("RCPT TO:<c@d>\r\nRCPT TO:<e", ["RCPT TO:<c@d>\r\n"]),  // incomplete
        ("RSET\r\nDATA now\r\n", ["RSET\r\n"]),  // DATA with arguments is refused, not relayed ahead
        ("DATA\r\nRCPT TO:<c@d>\r\n", ["DATA\r\n"]),
    ])
    func theGroupStopsWhereTheSessionMustDecideItself(after: String, expected: [String]) {
        var session = proxied(["PIPELINING"])
        session.machine.receive(Array(("MAIL FROM:<a@b>\r\n" + after).utf8))
        _ = session.machine.nextStep()
        #expect(session.machine.pipelinedLines().map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    @Test func aLineOverTheLimitIsNotPeeked() {
        var session = SessionDriver(
            SMTPServerConfiguration(hostname: "p.test", extensions: ["PIPELINING"], limits: SMTPLimits(commandLineLength: 20)))
        session.send("EHLO c\r\n")
        session.machine.receive(Array("MAIL FROM:<a@b>\r\nRCPT TO:<longer-than-twenty@example.test>\r\n".utf8))
        _ = session.machine.nextStep()
        #expect(session.machine.pipelinedLines().isEmpty)
    }
}
