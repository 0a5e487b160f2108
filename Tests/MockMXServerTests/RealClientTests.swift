import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// Real clients nobody here wrote, against a live host on loopback.
@Suite struct RealClientTests {
    @Test func pythonSmtplibSendsToSeveralRecipients() async throws {
        let live = try LiveHost()
        let script = """
            import smtplib, sys
            from email.message import EmailMessage
            m = EmailMessage()
            m["From"] = "sender@example.com"
            m["To"] = "a@example.org, b@example.org"
            m["Cc"] = "c@example.org"
            m["Subject"] = "smtplib test"
            m.set_content("hello\\n.line with leading dot\\n")
            with smtplib.SMTP("127.0.0.1", \(live.port), local_hostname="client.example", timeout=10) as s:
                refused = s.send_message(m)
                sys.exit(1 if refused else 0)
            """
        let result = try ExternalClient.run(["python3", "-c", script])
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        let message = try #require(live.messages.first)
        #expect(message.recipients == ["a@example.org", "b@example.org", "c@example.org"])
        #expect(message.mailFrom == "sender@example.com")
        #expect(message.heloName == "client.example")
        let text = String(decoding: message.content, as: UTF8.self)
        #expect(text.contains("Subject: smtplib test\r\n"))
        #expect(text.contains("\r\n.line with leading dot\r\n"))
        #expect(message.mailParameters.contains { $0.key == "SIZE" })
    }

    /// Python's smtplib against `rate-limited`: five messages from one client in a minute, then 421 to MAIL, and
    /// once the window has slid past the first, one more. The test moves the host's clock; nothing sleeps.
    @Test func pythonSmtplibMeetsTheSlidingRateWindow() async throws {
        let clock = TestClock()
        let live = try LiveHost(scenario: ScenarioLoader.resolve("rate-limited"), clock: clock)
        func send(_ count: Int) throws -> String {
            let script = """
                import smtplib
                results = []
                for n in range(\(count)):
                    try:
                        with smtplib.SMTP("127.0.0.1", \(live.port), timeout=10) as s:
                            s.sendmail("app@example.com", ["r@example.org"], f"Subject: {n}\\r\\n\\r\\nx\\r\\n")
                        results.append("sent")
                    except smtplib.SMTPSenderRefused as refusal:
                        results.append(str(refusal.smtp_code))
                print(" ".join(results))
                """
            let result = try ExternalClient.run(["python3", "-c", script])
            #expect(result.status == 0, "\(result.output)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try send(3) == "sent sent sent")
        clock.advance(milliseconds: 30_000)
        #expect(try send(3) == "sent sent 421")
        #expect(await live.waitForMessages(5))
        // Thirty seconds on, the first three have left the window: three more get through, the fourth not.
        clock.advance(milliseconds: 30_000)
        #expect(try send(4) == "sent sent sent 421")
        #expect(live.messages.count == 8)
    }

    @Test(.enabled(if: ExternalClient.available("swaks"))) func swaksPipelined() async throws {
        let live = try LiveHost()
        let result = try ExternalClient.run([
            "swaks", "--server", "127.0.0.1:\(live.port)", "--from", "s@example.com", "--to", "r@example.org",
            "--helo", "swaks.example", "--pipeline", "--body", "a\n.b\n..c\n",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("<** ") == false, "\(result.output)")
        #expect(await live.waitForMessages(1))
        let message = try #require(live.messages.first)
        #expect(message.recipients == ["r@example.org"])
        #expect(String(decoding: message.content, as: UTF8.self).contains("\r\n\r\na\r\n.b\r\n..c\r\n"))
        // swaks pipelines MAIL and RCPT (and DATA) in one write; the transcript shows them answered in order.
        let session = try #require(live.host.sessions.all.first)
        let server = session.transcript.filter { $0.direction == .server }.map(\.text)
        #expect(server.contains("250 2.1.0 Ok") && server.contains("250 2.1.5 Ok"))
    }

    @Test(.enabled(if: ExternalClient.available("curl"))) func curlUploadsToTwoRecipients() async throws {
        let live = try LiveHost()
        let result = try ExternalClient.run(
            [
                "curl", "-sS", "--url", "smtp://127.0.0.1:\(live.port)/curl.example", "--mail-from",
                "c@example.com", "--mail-rcpt", "x@example.org", "--mail-rcpt", "y@example.org", "--upload-file", "-",
            ],
            input: "Subject: curl\r\n\r\nbody\r\n")
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        let message = try #require(live.messages.first)
        #expect(message.recipients == ["x@example.org", "y@example.org"])
        #expect(message.heloName == "curl.example")
        #expect(String(decoding: message.content, as: UTF8.self) == "Subject: curl\r\n\r\nbody\r\n")
    }
}
