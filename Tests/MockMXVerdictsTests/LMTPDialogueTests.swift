import MockMXVerdicts
import Testing

/// LMTP sessions read back: the end of a message gets one reply per accepted recipient (RFC 2033 §4.2), and
/// those replies must not be taken for the answers to what the client sent next.
@Suite struct LMTPDialogueTests {
    /// LHLO, MAIL, three RCPTs (one refused) and DATA pipelined; after the content, QUIT pipelined behind the dot.
    private func lmtpSession(quitPipelined: Bool) -> SessionScript {
        var script = SessionScript()
        script.note(0, "connect from 192.0.2.7 to unix:/run/lmtp.sock (scenario default)")
        script.server(0.01, "220 mx.test LMTP mockmx")
        script.client(0.02, "LHLO client.test")
        script.server(0.03, "250-mx.test", "250-PIPELINING", "250 ENHANCEDSTATUSCODES")
        for (offset, text) in ["MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.test>", "RCPT TO:<>", "RCPT TO:<c@mx.test>"]
            .enumerated()
        {
            script.client(0.1 + Double(offset) * 0.001, text)
        }
        script.client(0.105, "DATA")
        script.server(0.11, "250 2.1.0 Ok", "250 2.1.5 Ok", "501 5.1.3 Bad recipient address syntax", "250 2.1.5 Ok")
        script.server(0.111, "354 End data with <CR><LF>.<CR><LF>")
        script.client(0.12, "<100 bytes of message content>")
        script.client(0.121, ".")
        if quitPipelined { script.client(0.121, "QUIT") }
        script.server(0.13, "250 2.0.0 <b@mx.test> Ok: delivered as ABC")
        script.server(0.131, "452 4.2.2 Mailbox full")
        if !quitPipelined { script.client(0.14, "QUIT") }
        script.server(0.141, "221 2.0.0 Bye")
        return script
    }

    @Test(arguments: [false, true]) func aCleanLMTPSessionHasNoFailedVerdict(quitPipelined: Bool) {
        let report = VerdictEngine().judge([lmtpSession(quitPipelined: quitPipelined).recorded()])
        #expect(report.summary.fail == 0, "\(report.verdicts.filter { $0.result == .fail })")
        #expect(report.only("session.quit").map(\.result) == [.pass])
        #expect(report.only("pipelining.synchronization").map(\.result) == [.pass])
    }
}
