import SMTPProtocol
import Testing

private let exchange = SMTPServerConfiguration(
    hostname: "exchange.test",
    extensions: ["PIPELINING", "ENHANCEDSTATUSCODES", "XEXCH50"])

/// A blob as Exchange might send: binary, with CRLF.CRLF and leading dots inside.
func exchangeBlob(size: Int) -> [UInt8] {
    var blob = Array("\r\n.\r\n..\r\n.".utf8)
    var value: UInt8 = 0
    while blob.count < size {
        blob.append(value)
        value &+= 37
    }
    return blob
}

@Suite struct XEXCH50Tests {
    @Test(arguments: [false, true]) func theExchangeSequenceKeepsTheBlobByteForByte(dripping: Bool) {
        var session = SessionDriver(exchange, dripping: dripping)
        session.send("EHLO exchange2003.test\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.send("XEXCH50 1124 2\r\n")
        #expect(session.takeLines() == ["354 Send binary data"])
        let blob = exchangeBlob(size: 1124)
        session.send(blob)
        #expect(session.takeLines() == ["250 2.0.0 XEXCH50 OK"])
        session.send("DATA\r\nSubject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n")
        #expect(session.takeLines() == [
            "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as S1.1", "221 2.0.0 Bye",
        ])
        #expect(session.messages.first?.xexch50 == XEXCH50Blob(bytes: blob, recipientArgument: 2))
    }

    @Test func bytesPipelinedAfterTheBlobAreCommands() {
        var session = SessionDriver(exchange)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nXEXCH50 10 2\r\n")
        _ = session.takeLines()
        session.send(Array("0123456789NOOP\r\n".utf8))
        #expect(session.takeLines() == ["250 2.0.0 XEXCH50 OK", "250 2.0.0 Ok"])
    }

    @Test func preconditionsAndFormatErrorsAnswerAsExchangeDoes() {
        var session = SessionDriver(exchange)
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("XEXCH50 1124 2\r\nMAIL FROM:<a@b>\r\nXEXCH50 1124 2\r\nRCPT TO:<x@y>\r\n")
        session.send("XEXCH50 1124\r\nXEXCH50 abc 2\r\nXEXCH50 4 2\r\n")
        #expect(session.takeLines() == [
            "503 5.5.2 Need mail command", "250 2.1.0 Ok", "503 5.5.2 Need rcpt command", "250 2.1.5 Ok",
            "501 5.5.4 XEXCH50 Invalid command format", "501 5.5.4 XEXCH50 Invalid command format",
            "501 5.5.4 XEXCH50 Invalid command format",
        ])
    }

    @Test func onlyOncePerTransaction() {
        var session = SessionDriver(exchange)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nXEXCH50 5 2\r\n12345")
        _ = session.takeLines()
        session.send("XEXCH50 5 2\r\n")
        #expect(session.takeLines() == ["503 5.5.2 XEXCH50 already received for this message"])
    }

    @Test func unknownWhenNotAdvertised() {
        var session = SessionDriver()
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.send("XEXCH50 1124 2\r\n")
        #expect(session.takeLines() == ["500 5.5.2 Error: command not recognized"])
        #expect(session.events.last?.name == "xexch50")
        #expect(session.events.last?.isUnknownCommand == true)
    }

    @Test func aWithheldAcknowledgementLeavesNoBlob() {
        var session = SessionDriver(exchange)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nXEXCH50 5 2\r\n")
        session.overrides = [nil]
        session.send("12345DATA\r\nx\r\n.\r\n")
        #expect(session.messages.first?.xexch50 == nil)
    }
}

@Suite struct LineEndingTests {
    private func deliver(_ body: String, mode: LineEndingMode, dripping: Bool = false) -> SessionDriver {
        var session = SessionDriver(SMTPServerConfiguration(lineEndings: mode), dripping: dripping)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n")
        _ = session.takeLines()
        session.send(body)
        return session
    }

    @Test(arguments: [false, true]) func strictRefusesBareLineFeedAtEndOfData(dripping: Bool) {
        var session = deliver("a\nb\r\n.\r\n", mode: .strict, dripping: dripping)
        #expect(session.takeLines() == ["550 5.5.2 mockmx.test Error: bare <LF> received"])
        #expect(session.messages.isEmpty)
    }

    @Test(arguments: LineEndingMode.allCases) func smugglingEndOfDataOnlyEndsDataWhenLax(mode: LineEndingMode) {
        var session = deliver("a\r\n\n.\nMAIL FROM:<smuggled@x>\r\n.\r\n", mode: mode)
        let lines = session.takeLines()
        switch mode {
        case .lax:
            #expect(lines == ["250 2.0.0 Ok: queued as S1.1", "250 2.1.0 Ok", "500 5.5.2 Error: command not recognized"])
        case .normalize:
            #expect(lines == ["250 2.0.0 Ok: queued as S1.1"])
            #expect(String(decoding: session.messages[0].content, as: UTF8.self)
                == "a\r\n\r\n\r\nMAIL FROM:<smuggled@x>\r\n")
        case .strict:
            #expect(lines == ["550 5.5.2 mockmx.test Error: bare <LF> received"])
        }
    }

    @Test func normalizeNeedsCRLFBeforeTheDot() {
        var session = deliver("a\n.\r\nstill content\r\n.\r\n", mode: .normalize)
        #expect(session.takeLines() == ["250 2.0.0 Ok: queued as S1.1"])
        #expect(String(decoding: session.messages[0].content, as: UTF8.self) == "a\r\n\r\nstill content\r\n")
    }

    @Test func bareCarriageReturnIsContent() {
        let session = deliver("a\rb\r\n.\r\n", mode: .strict)
        #expect(session.messages.first?.content == Array("a\rb\r\n".utf8))
    }

    @Test func strictRefusesBareLineFeedCommands() {
        var session = SessionDriver(SMTPServerConfiguration(lineEndings: .strict))
        _ = session.takeLines()
        session.send("NOOP\nNOOP\r\n")
        #expect(session.takeLines() == ["500 5.5.2 Error: bare <LF> received", "250 2.0.0 Ok"])
    }

    @Test(arguments: [false, true]) func longContentLinesStreamWithoutLoss(dripping: Bool) {
        let line = String(repeating: "x", count: 150_000)
        var session = deliver(".\(line)\r\n.\r\n", mode: .normalize, dripping: dripping)
        #expect(session.takeLines() == ["250 2.0.0 Ok: queued as S1.1"])
        #expect(session.messages.first?.content == Array((line + "\r\n").utf8))
    }

    @Test func progressMarksPauseDataAtTheRequestedSize() {
        var machine = SMTPSessionStateMachine(configuration: SMTPServerConfiguration(), sessionID: "S")
        machine.dataProgressMarks = [4096]
        machine.commit(sentCode: machine.connect().reply?.code)
        machine.receive(Array("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n".utf8))
        for _ in 0..<4 { machine.commit(sentCode: machine.nextStep()?.reply?.code) }
        machine.receive([UInt8](repeating: UInt8(ascii: "y"), count: 10_000))
        let step = machine.nextStep()
        #expect(step?.event == .dataProgress(bytes: 4096))
        #expect(machine.dataBytesReceived == 4096)
    }
}
