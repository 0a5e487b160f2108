import SMTPProtocol
import Testing

/// Another host's replies read back exactly as sent, and bounded when they are not replies.
@Suite struct ReplyReaderTests {
    private func replies(_ text: String) throws -> [SMTPReply] {
        var reader = SMTPReplyReader()
        reader.receive(Array(text.utf8))
        var replies: [SMTPReply] = []
        while let reply = try reader.next() { replies.append(reply) }
        return replies
    }

    @Test func aMultiLineReplyKeepsItsLinesVerbatim() throws {
        let ehlo = "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 SMTPUTF8\r\n"
        let read = try replies(ehlo)
        #expect(read == [SMTPReply(code: 250, lines: ["mx.example.test", "PIPELINING", "SIZE 10240000", "SMTPUTF8"])])
        #expect(read[0].encoded(enhancedStatusCodes: true) == Array(ehlo.utf8))
    }

    @Test func enhancedCodesAndTrailingSpacesStayInTheText() throws {
        let read = try replies("550 5.1.1 <x@y>: Recipient address rejected \r\n")
        #expect(read[0].code == 550 && read[0].enhancedCode == nil)
        #expect(read[0].lines == ["5.1.1 <x@y>: Recipient address rejected "])
    }

    @Test func bytesCutAnywhereGiveTheSameReplies() throws {
        let text = Array("220 mx ESMTP\r\n250-a\r\n250 b\n354 go\r\n".utf8)
        for cut in 0...text.count {
            var reader = SMTPReplyReader()
            var read: [SMTPReply] = []
            reader.receive(text[..<cut])
            while let reply = try reader.next() { read.append(reply) }
            reader.receive(text[cut...])
            while let reply = try reader.next() { read.append(reply) }
            #expect(read.map(\.code) == [220, 250, 354], "cut at \(cut)")
        }
    }

    @Test func aPartialReplyWaitsForItsLastLine() throws {
        var reader = SMTPReplyReader()
        reader.receive(Array("250-first\r\n250-second".utf8))
        #expect(try reader.next() == nil)
        reader.receive(Array("\r\n250 last\r\n".utf8))
        #expect(try reader.next()?.lines == ["first", "second", "last"])
    }

    @Test func anEndlessLineFailsAtTheBoundNotAtItsEnd() {
        var reader = SMTPReplyReader()
        reader.receive([UInt8](repeating: UInt8(ascii: "x"), count: SMTPReplyReader.maximumLineLength + 2))
        #expect(throws: SMTPReplyReader.Failure.lineTooLong(SMTPReplyReader.maximumLineLength)) { try reader.next() }
    }

    @Test func linesThatAreNotRepliesAreRefused() {
        #expect(throws: SMTPReplyReader.Failure.malformed("hello")) { try replies("hello\r\n") }
        #expect(throws: SMTPReplyReader.Failure.malformed("251 b")) { try replies("250-a\r\n251 b\r\n") }
        #expect(throws: SMTPReplyReader.Failure.malformed("099 low")) { try replies("099 low\r\n") }
    }

    @Test func tooManyLinesAreRefused() {
        let text = String(repeating: "250-x\r\n", count: SMTPReplyReader.maximumLines + 1)
        #expect(throws: SMTPReplyReader.Failure.tooManyLines(SMTPReplyReader.maximumLines)) { try replies(text) }
    }

    @Test func adoptedExtensionsDecideWhatMailParametersAreAccepted() {
        var machine = SMTPSessionStateMachine(
            configuration: SMTPServerConfiguration(extensions: ["PIPELINING"]), sessionID: "s")
        #expect(!machine.configuration.advertises("SMTPUTF8") && !machine.usesEnhancedStatusCodes)
        machine.adoptExtensions(["SMTPUTF8", "ENHANCEDSTATUSCODES"])
        #expect(machine.configuration.advertises("SMTPUTF8") && machine.usesEnhancedStatusCodes)
    }
}
