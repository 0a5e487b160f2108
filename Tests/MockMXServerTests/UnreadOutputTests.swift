import Foundation
import Testing

/// A harness that starts `mockmx serve` with its output on pipes and never reads them — Python's
/// `subprocess.Popen(..., stdout=PIPE)` without `communicate()` — must still get every message through and
/// a prompt exit on SIGTERM.
@Suite struct UnreadOutputTests {
    @Test func aThousandMessagesGoThroughWhileNobodyReadsTheLogAndSigtermStillStopsIt() throws {
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--log-format", "json", "--verbose", "--grace", "2",
        ])
        // The harness reads the start-up lines for the ports, then nothing more, ever.
        let listening = try JSONSerialization.jsonObject(with: Data(try #require(serve.line()).utf8))
        let smtpPort = try #require((listening as? [String: Any])?["port"] as? Int)
        let api = try JSONSerialization.jsonObject(with: Data(try #require(serve.line()).utf8))
        let apiPort = try #require((api as? [String: Any])?["port"] as? Int)

        // About 1.5 KB of JSON log per message: 1,000 of them fill the pipe and the log buffer many times.
        for _ in 0..<4 {
            let client = try RawClient(port: smtpPort)
            _ = try client.reply()
            try client.send("EHLO client.example\r\n")
            _ = try client.reply()
            for _ in 0..<250 {
                try client.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
                for _ in 0..<3 { _ = try client.reply() }
                try client.send("Subject: unread\r\n\r\nhello\r\n.\r\n")
                let reply = try client.replyLine()
                guard reply.hasPrefix("250") else {
                    Issue.record("message refused: \(reply)")
                    return
                }
            }
            try client.send("QUIT\r\n")
            _ = try client.reply()
        }

        let metrics = try Curl.run(["http://127.0.0.1:\(apiPort)/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("\nmockmx_messages_total 1000\n"))
        let dropped = metrics.text.split(separator: "\n").first { $0.hasPrefix("mockmx_log_lines_dropped_total ") }
        let droppedCount = try #require(dropped.flatMap { Int($0.split(separator: " ")[1]) })
        #expect(droppedCount > 0, "the output should have overflowed: \(metrics.text)")

        let signalled = ContinuousClock.now
        serve.process.terminate()
        serve.process.waitUntilExit()
        #expect(ContinuousClock.now - signalled < .seconds(2), "SIGTERM must not wait for the unread pipe")
        #expect(serve.process.terminationStatus == 0)
    }
}
