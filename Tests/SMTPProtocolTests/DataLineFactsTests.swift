import SMTPProtocol
import Testing

/// Bare line ends and long lines are counted as the wire carried them, in every line-ending mode, whether the
/// content comes at once or one byte at a time.
@Suite struct DataLineFactsTests {
    private func facts(_ body: String, mode: LineEndingMode, dripping: Bool) -> DataLineFacts {
        var session = SessionDriver(SMTPServerConfiguration(lineEndings: mode), dripping: dripping)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n")
        session.send(body)
        if case .dataEnd = session.events.last {} else { Issue.record("DATA did not end: \(session.events)") }
        return session.machine.lastDataLineFacts
    }

    @Test(arguments: [LineEndingMode.strict, .normalize, .lax], [false, true])
    func countsBareLineFeedsBareCarriageReturnsAndLongLines(mode: LineEndingMode, dripping: Bool) {
        let long = String(repeating: "x", count: 1200)
        let counted = facts("a\nb\rc\r\n..dot\r\n\(long)\r\nd\r\n.\r\n", mode: mode, dripping: dripping)
        #expect(counted.bareLineFeeds == 1)
        #expect(counted.bareCarriageReturns == 1)
        #expect(counted.longLines == 1)
        #expect(counted.longestLine == 1202)
    }

    @Test(arguments: [false, true]) func cleanContentIsClean(dripping: Bool) {
        let counted = facts("Subject: x\r\n\r\n.stuffed\r\n\(String(repeating: "y", count: 998))\r\n.\r\n",
                            mode: .normalize, dripping: dripping)
        #expect(counted.isClean)
        #expect(counted.longestLine == 1000, "998 octets and CRLF is the longest a line may be")
    }
}
