import SMTPProtocol
import Testing

private let feedModes = [false, true]

@Suite struct SessionBasicsTests {
    @Test(arguments: feedModes) func greetingAndEhloListTheExtensionsInOrder(dripping: Bool) {
        var session = SessionDriver(
            SMTPServerConfiguration(hostname: "mx.test", extensions: ["PIPELINING", "XEXCH50", "X-MADE-UP 42"]),
            dripping: dripping)
        #expect(session.takeLines() == ["220 mx.test ESMTP mockmx"])
        session.send("EHLO client.test\r\n")
        #expect(session.takeLines() == ["250-mx.test", "250-PIPELINING", "250-XEXCH50", "250 X-MADE-UP 42"])
        session.send("HELO client.test\r\n")
        #expect(session.takeLines() == ["250 mx.test"])
    }

    @Test(arguments: feedModes) func completeTransactionStoresUnstuffedContent(dripping: Bool) {
        var session = SessionDriver(dripping: dripping)
        session.send("EHLO c\r\nMAIL FROM:<a@b.test> BODY=8BITMIME SIZE=100\r\nRCPT TO:<x@y.test>\r\n")
        session.send("RCPT TO:<z@y.test>\r\nDATA\r\nSubject: hi\r\n\r\n..leading dot\r\n.\r\n")
        let lines = session.takeLines()
        #expect(lines.suffix(5) == [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued as S1.1",
        ])
        #expect(session.messages.count == 1)
        let message = session.messages[0]
        #expect(message.mailFrom == "a@b.test")
        #expect(message.recipients == ["x@y.test", "z@y.test"])
        #expect(message.heloName == "c")
        #expect(message.mailParameters == [
            SMTPParameter(key: "BODY", value: "8BITMIME"), SMTPParameter(key: "SIZE", value: "100"),
        ])
        #expect(String(decoding: message.content, as: UTF8.self) == "Subject: hi\r\n\r\n.leading dot\r\n")
        session.send("QUIT\r\n")
        #expect(session.takeLines() == ["221 2.0.0 Bye"])
        #expect(session.closed)
    }

    @Test func emptyMessageAndNullSenderAreAccepted() {
        var session = SessionDriver()
        session.send("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nDATA\r\n.\r\n")
        #expect(session.messages.first?.content == [])
        #expect(session.messages.first?.mailFrom == "")
        #expect(session.messages.first?.recipients == ["postmaster"])
    }

    @Test func enhancedStatusCodesOnlyWhenAdvertised() {
        var session = SessionDriver(SMTPServerConfiguration(extensions: ["PIPELINING"]))
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nNOOP\r\n")
        #expect(session.takeLines().suffix(2) == ["250 Ok", "250 Ok"])
    }

    @Test func sequenceErrorsGet503AndTheSessionGoesOn() {
        var session = SessionDriver()
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b>\r\nEHLO c\r\nRCPT TO:<x@y>\r\nDATA\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n")
        session.send("DATA\r\nRSET\r\nRCPT TO:<x@y>\r\n")
        let lines = session.takeLines().filter { !$0.hasPrefix("250-") }
        #expect(lines == [
            "503 5.5.1 Error: send HELO/EHLO first", "250 ENHANCEDSTATUSCODES",
            "503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok", "503 5.5.1 Error: nested MAIL command",
            "503 5.5.1 Error: need RCPT command", "250 2.0.0 Ok", "503 5.5.1 Error: need MAIL command",
        ])
    }

    @Test func syntaxErrorsGet501AndUnknownVerbs500() {
        var session = SessionDriver()
        _ = session.takeLines()
        session.send("EHLO\r\nHELO c\r\nMAIL TO:<a@b>\r\nMAIL FROM:<a b@c>\r\nMAIL FROM:<a@b> FOO=bar\r\n")
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<>\r\nRCPT TO:<x@y> NOTIFY=NEVER\r\nDATA now\r\nFROB\r\nVRFY\r\n")
        #expect(session.takeLines() == [
            "501 5.5.4 Syntax: EHLO hostname", "250 mockmx.test", "501 5.5.4 Syntax: MAIL FROM:<address>",
            "501 5.1.7 Bad sender address syntax", "555 5.5.4 Unsupported option: FOO", "250 2.1.0 Ok",
            "501 5.1.3 Bad recipient address syntax", "555 5.5.4 Unsupported option: NOTIFY", "501 5.5.4 Syntax: DATA",
            "500 5.5.2 Error: command not recognized", "501 5.5.4 Syntax: VRFY address",
        ])
    }

    @Test func otherCommandsAnswerLikeARealHost() {
        var session = SessionDriver()
        _ = session.takeLines()
        session.send("noop\r\nVRFY bob\r\nEXPN list\r\nHELP\r\nRSET\r\nSTARTTLS\r\n")
        #expect(session.takeLines() == [
            "250 2.0.0 Ok", "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery",
            "502 5.5.1 Error: EXPN not available",
            "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP", "250 2.0.0 Ok",
            "500 5.5.2 Error: command not recognized",
        ])
    }

    @Test func localPartAndDomainLengthLimits() {
        var session = SessionDriver()
        session.send("HELO c\r\n")
        _ = session.takeLines()
        let longLocal = String(repeating: "a", count: 65)
        session.send("MAIL FROM:<\(longLocal)@b.test>\r\nMAIL FROM:<a@b.test>\r\n")
        session.send("RCPT TO:<x@\(String(repeating: "d", count: 256))>\r\n")
        #expect(session.takeLines() == [
            "501 5.1.7 Bad sender address syntax", "250 2.1.0 Ok", "501 5.1.3 Bad recipient address syntax",
        ])
    }
}

@Suite struct SessionLimitsTests {
    @Test func declaredSizeOverTheLimitIsRefusedAtMail() {
        var session = SessionDriver(SMTPServerConfiguration(limits: SMTPLimits(messageSize: 1000)))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b> SIZE=1001\r\nMAIL FROM:<a@b> SIZE=1000\r\n")
        #expect(session.takeLines() == ["552 5.3.4 Message size exceeds fixed limit", "250 2.1.0 Ok"])
    }

    @Test(arguments: feedModes) func bodyOverTheLimitIsConsumedAndRefused(dripping: Bool) {
        var session = SessionDriver(
            SMTPServerConfiguration(limits: SMTPLimits(messageSize: 100)), dripping: dripping)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n")
        _ = session.takeLines()
        session.send(String(repeating: "0123456789012345678\r\n", count: 20) + ".\r\nNOOP\r\n")
        #expect(session.takeLines() == ["552 5.3.4 Error: message file too big", "250 2.0.0 Ok"])
        #expect(session.messages.isEmpty)
    }

    @Test func recipientLimitGets452() {
        var session = SessionDriver(SMTPServerConfiguration(limits: SMTPLimits(recipients: 2)))
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\n")
        _ = session.takeLines()
        session.send("RCPT TO:<1@y>\r\nRCPT TO:<2@y>\r\nRCPT TO:<3@y>\r\n")
        #expect(session.takeLines() == ["250 2.1.5 Ok", "250 2.1.5 Ok", "452 4.5.3 Error: too many recipients"])
    }

    @Test(arguments: feedModes) func overlongCommandLineIsRefusedWithoutBuffering(dripping: Bool) {
        var session = SessionDriver(dripping: dripping)
        _ = session.takeLines()
        let junk = [UInt8](repeating: UInt8(ascii: "A"), count: 100_000)
        session.machine.receive(junk)
        session.drain()
        #expect(session.machine.bufferedByteCount < 1000)
        session.send("\r\nNOOP\r\n")
        #expect(session.takeLines() == ["500 5.5.2 Error: line too long", "250 2.0.0 Ok"])
    }

    @Test func nulAndBinaryJunkGetRepliesAndTheSessionGoesOn() {
        var session = SessionDriver()
        _ = session.takeLines()
        session.send([0x00, 0x01, 0xFF, 0xFE, 0x0D, 0x0A] + Array("MAIL\u{0}FROM:<a@b>\r\nHELO c\r\n".utf8))
        #expect(session.takeLines() == [
            "500 5.5.2 Error: command not recognized", "500 5.5.2 Error: command not recognized",
            "250 mockmx.test",
        ])
    }
}

@Suite struct PipeliningTests {
    @Test(arguments: feedModes) func aWholeTransactionInOneWriteIsAnsweredInOrder(dripping: Bool) {
        var session = SessionDriver(dripping: dripping)
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send(
            "MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nRCPT TO:<z@y>\r\nDATA\r\nbody\r\nRCPT TO:<not@command>\r\n.\r\nQUIT\r\n")
        #expect(session.takeLines() == [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued as S1.1", "221 2.0.0 Bye",
        ])
        #expect(String(decoding: session.messages[0].content, as: UTF8.self) == "body\r\nRCPT TO:<not@command>\r\n")
    }

    @Test func stateFollowsTheReplyActuallySent() {
        var session = SessionDriver()
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\n")
        _ = session.takeLines()
        session.overrides = [550]  // a rule refuses the only recipient
        session.send("RCPT TO:<x@y>\r\nDATA\r\n")
        #expect(session.takeLines() == ["550 overridden", "554 5.5.1 Error: no valid recipients"])
    }

    @Test func aDataNotAnsweredWith354LeavesInputAsCommands() {
        var session = SessionDriver()
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.overrides = [451]
        session.send("DATA\r\nNOOP\r\n")
        #expect(session.takeLines() == ["451 overridden", "250 2.0.0 Ok"])
    }

    @Test func strictPipeliningRefusesCommandsAfterALastInGroupCommand() {
        var session = SessionDriver(SMTPServerConfiguration(pipelining: .strict))
        _ = session.takeLines()
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\n")
        #expect(session.takeLines() == ["554 5.5.0 Error: SMTP protocol synchronization"])
        #expect(session.closed)
    }

    @Test func strictPipeliningAllowsMailAndRcptMidGroup() {
        var session = SessionDriver(SMTPServerConfiguration(pipelining: .strict))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n")
        #expect(session.takeLines() == ["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"])
    }

    @Test func strictPipeliningWithoutTheExtensionRefusesAnyGroup() {
        var session = SessionDriver(SMTPServerConfiguration(extensions: ["8BITMIME"], pipelining: .strict))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        #expect(session.takeLines() == ["554 Error: SMTP protocol synchronization"])
    }

    @Test func strictPipeliningRefusesInputBeforeTheGreeting() {
        var machine = SMTPSessionStateMachine(
            configuration: SMTPServerConfiguration(pipelining: .strict), sessionID: "S")
        machine.receive(Array("EHLO early\r\n".utf8))
        let greeting = machine.connect()
        machine.commit(sentCode: greeting.reply?.code)
        #expect(machine.nextStep()?.reply?.code == 554)
    }
}

@Suite struct GreetingTests {
    @Test func after554GreetingOnlyQuitIsServed() {
        let configuration = SMTPServerConfiguration(greeting: SMTPReply(554, nil, "No SMTP service here"))
        var session = SessionDriver(configuration)
        #expect(session.takeLines() == ["554 No SMTP service here"])
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nQUIT\r\n")
        #expect(session.takeLines() == [
            "503 5.5.1 Error: no SMTP service here", "503 5.5.1 Error: no SMTP service here", "221 2.0.0 Bye",
        ])
    }

    @Test func a421GreetingClosesTheSession() {
        let session = SessionDriver(SMTPServerConfiguration(greeting: SMTPReply(421, nil, "busy")))
        #expect(session.closed)
        #expect(session.machine.isClosed)
    }

    @Test func idleTimeoutProposes421AndClose() {
        var machine = SMTPSessionStateMachine(configuration: SMTPServerConfiguration(hostname: "h"), sessionID: "S")
        let step = machine.idleTimeout()
        #expect(step.reply?.description == "421 4.4.2 h Error: timeout exceeded\r\n")
        #expect(step.closesConnection)
    }
}
