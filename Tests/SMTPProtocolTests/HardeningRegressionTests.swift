import SMTPProtocol
import Testing

/// Regressions found by the fuzz targets and the hardening matrix (issue 8), pinned as plain tests.
@Suite struct HardeningRegressionTests {
    /// An over-long line and the commands pipelined after it arrive in one read. The line used to be
    /// discarded together with everything read with it, so its LF was lost and the next command line
    /// was taken for the rest of it: the client's NOOP got `500 line too long`, the one after it nothing.
    /// Found by the live matrix (1,001-octet line) and by FuzzSMTPSession's split-independence check.
    @Test(arguments: [1_001, 1_024, 5_000, 70_000], [false, true])
    func overlongLineKeepsTheCommandsReadWithIt(length: Int, dripping: Bool) {
        var session = SessionDriver(dripping: dripping)
        _ = session.takeLines()
        let line = [UInt8](repeating: UInt8(ascii: "A"), count: length - 2) + [0x0D, 0x0A]
        session.send(line + Array("NOOP\r\nRSET\r\n".utf8))
        #expect(session.takeLines() == ["500 5.5.2 Error: line too long", "250 2.0.0 Ok", "250 2.0.0 Ok"])
        #expect(session.machine.bufferedByteCount == 0)
    }

    @Test(arguments: [false, true])
    func overlongAuthResponseKeepsTheCommandsReadWithIt(dripping: Bool) {
        var session = SessionDriver(
            SMTPServerConfiguration(extensions: ["AUTH LOGIN", "ENHANCEDSTATUSCODES"]), dripping: dripping)
        session.send("EHLO c\r\nAUTH LOGIN\r\n")
        #expect(session.takeLines().last == "334 VXNlcm5hbWU6")
        session.send([UInt8](repeating: UInt8(ascii: "B"), count: 1_500) + Array("\r\nNOOP\r\n".utf8))
        #expect(session.takeLines() == ["500 5.5.2 Error: line too long", "250 2.0.0 Ok"])
    }
}
