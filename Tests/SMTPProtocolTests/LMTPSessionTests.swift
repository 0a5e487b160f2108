import SMTPProtocol
import Testing

private func lmtp(_ extensions: [String] = ["SIZE 1000", "8BITMIME", "CHUNKING"], messageSize: Int = 1000)
    -> SMTPServerConfiguration
{
    var configuration = SMTPServerConfiguration(
        hostname: "lmtp.test", extensions: extensions, limits: SMTPLimits(messageSize: messageSize))
    configuration.useLMTP()
    return configuration
}

@Suite struct LMTPSessionTests {
    @Test(arguments: [false, true]) func endOfDataAnswersEveryAcceptedRecipientInRCPTOrder(dripping: Bool) {
        var session = SessionDriver(lmtp(), dripping: dripping)
        session.send(
            "LHLO client.test\r\nMAIL FROM:<s@x.test>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<>\r\n"
                + "RCPT TO:<b@x.test>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        #expect(
            session.lines == [
                "220 lmtp.test ESMTP mockmx",
                "250-lmtp.test", "250-SIZE 1000", "250-8BITMIME", "250-CHUNKING", "250-PIPELINING",
                "250 ENHANCEDSTATUSCODES",
                "250 2.1.0 Ok", "250 2.1.5 Ok", "501 5.1.3 Bad recipient address syntax", "250 2.1.5 Ok",
                "354 End data with <CR><LF>.<CR><LF>",
                "250 2.0.0 <a@x.test> Ok: delivered as S1.1", "250 2.0.0 <b@x.test> Ok: delivered as S1.1",
                "221 2.0.0 Bye",
            ])
        #expect(session.messages.map(\.recipients) == [["a@x.test", "b@x.test"]])
        let end = session.events.first { if case .dataEnd = $0 { true } else { false } }
        #expect(end?.name == "data.end")
    }

    @Test func heloAndEHLOAreRefusedWith500AndTheSessionGoesOn() {
        var session = SessionDriver(lmtp())
        _ = session.takeLines()
        session.send("HELO c\r\nEHLO c\r\nMAIL FROM:<s@x>\r\nLHLO\r\nLHLO c\r\n")
        let lines = session.takeLines()
        #expect(
            Array(lines.prefix(4)) == [
                "500 5.5.1 Error: this is LMTP, use LHLO", "500 5.5.1 Error: this is LMTP, use LHLO",
                "503 5.5.1 Error: send LHLO first", "501 5.5.4 Syntax: LHLO hostname",
            ])
        #expect(lines.last == "250 ENHANCEDSTATUSCODES")
        #expect(session.events.contains(.command(verb: "LHLO", arguments: [], recognized: true)))
    }

    @Test func lhloIsAnUnknownCommandInSMTP() {
        var session = SessionDriver(SMTPServerConfiguration(hostname: "mx.test"))
        _ = session.takeLines()
        session.send("LHLO c\r\nEHLO c\r\n")
        #expect(session.takeLines().first == "500 5.5.2 Error: command not recognized")
        #expect(session.events.contains { $0.isUnknownCommand && $0.name == "lhlo" })
    }

    @Test func dataWithoutAcceptedRecipientsIs503EvenAfterRefusedOnes() {
        var session = SessionDriver(lmtp())
        session.send("LHLO c\r\nMAIL FROM:<s@x>\r\nRCPT TO:<>\r\nDATA\r\n")
        #expect(session.lines.last == "503 5.5.1 Error: need RCPT command")
        #expect(!session.machine.isReceivingContent)
    }

    @Test func lmtpAdvertisesPipeliningAndEnhancedStatusCodesEvenWhenThePersonaLeavesThemOut() {
        let configuration = lmtp([])
        #expect(configuration.extensions == ["PIPELINING", "ENHANCEDSTATUSCODES"])
        #expect(configuration.isLMTP)
    }

    @Test func anOversizeMessageIsRefusedForEveryRecipient() {
        var session = SessionDriver(lmtp(["SIZE 10"], messageSize: 10))
        session.send("LHLO c\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n")
        _ = session.takeLines()
        session.send("0123456789abcdef\r\n.\r\n")
        #expect(
            session.takeLines() == [
                "552 5.3.4 <a@x> Error: message file too big", "552 5.3.4 <b@x> Error: message file too big",
            ])
        #expect(session.messages.isEmpty)
    }

    @Test(arguments: [false, true]) func bdatLastGetsOneReplyPerRecipientAndOtherChunksOne(dripping: Bool) {
        var session = SessionDriver(lmtp(), dripping: dripping)
        session.send("LHLO c\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n")
        _ = session.takeLines()
        session.send("BDAT 4\r\nabcdBDAT 3 LAST\r\nefgNOOP\r\n")
        #expect(
            session.takeLines() == [
                "250 2.0.0 Ok: 4 octets received",
                "250 2.0.0 <a@x> Ok: delivered as S1.1", "250 2.0.0 <b@x> Ok: delivered as S1.1",
                "250 2.0.0 Ok",
            ])
        #expect(session.messages.map { String(decoding: $0.content, as: UTF8.self) } == ["abcdefg"])
    }

    @Test func aTransactionWhoseRecipientsWereAllRefusedAtTheEndStoresNothing() {
        var session = SessionDriver(lmtp())
        session.send("LHLO c\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n")
        session.overrides = [452]
        session.send("x\r\n.\r\nMAIL FROM:<s@x>\r\n")
        #expect(session.lines.suffix(2) == ["452 overridden", "250 2.1.0 Ok"])
        #expect(session.machine.messageNumber == 1)
    }
}
