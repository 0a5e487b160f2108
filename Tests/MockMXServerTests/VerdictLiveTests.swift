import Foundation
import MockMXServer
import MockMXVerdicts
import Testing

/// The verdict engine on live sessions: real clients pass, deliberately wrong raw-socket clients fail with
/// evidence pointing at the transcript lines that show the fault.
@Suite struct VerdictLiveTests {
    /// Sessions end on the loop thread; verdicts are read once they have.
    private func verdicts(_ live: LiveHost, sessions: Int = 1) async -> VerdictReport {
        #expect(await live.waitForEndedSessions(sessions))
        return live.host.verdicts
    }

    private func failures(_ report: VerdictReport) -> String {
        ReportCard.render(VerdictReport(report.verdicts.filter { $0.result == .fail }))
    }

    @Test func pythonSmtplibPassesEveryCheck() async throws {
        let live = try LiveHost()
        let script = """
            import smtplib
            from email.message import EmailMessage
            m = EmailMessage()
            m["From"] = "sender@example.com"
            m["To"] = "a@example.org"
            m["Subject"] = "verdicts"
            m.set_content("hello\\n")
            with smtplib.SMTP("127.0.0.1", \(live.port), timeout=10) as s:
                s.send_message(m)
            """
        let result = try ExternalClient.run(["python3", "-c", script])
        #expect(result.status == 0, "\(result.output)")
        let report = await verdicts(live)
        #expect(report.summary.fail == 0, "\(failures(report))")
        for check in ["pipelining.synchronization", "data.waited-for-354", "session.quit", "data.line-endings"] {
            #expect(report.only(check).map(\.result) == [.pass], "\(check)")
        }
    }

    @Test(.enabled(if: ExternalClient.available("swaks"))) func swaksPipeliningPassesEveryCheck() async throws {
        let live = try LiveHost()
        let result = try ExternalClient.run([
            "swaks", "--server", "127.0.0.1:\(live.port)", "--from", "s@example.com", "--to", "r@example.org",
            "--pipeline", "--body", "a\n.b\n",
        ])
        #expect(result.status == 0, "\(result.output)")
        let report = await verdicts(live)
        #expect(report.summary.fail == 0, "\(failures(report))")
        let pipelining = try #require(report.only("pipelining.synchronization").first)
        #expect(pipelining.result == .pass)
        #expect(pipelining.explanation.contains("sent ahead in allowed groups"), "\(pipelining.explanation)")
    }

    @Test(.enabled(if: ExternalClient.available("curl"))) func curlPassesEveryCheck() async throws {
        let live = try LiveHost()
        let result = try ExternalClient.run(
            [
                "curl", "-sS", "--url", "smtp://127.0.0.1:\(live.port)/curl.example", "--mail-from", "c@example.com",
                "--mail-rcpt", "x@example.org", "--upload-file", "-",
            ],
            input: "Subject: curl\r\n\r\nbody\r\n")
        #expect(result.status == 0, "\(result.output)")
        let report = await verdicts(live)
        #expect(report.summary.fail == 0, "\(failures(report))")
        #expect(report.only("session.quit").map(\.result) == [.pass])
    }

    @Test func commandsPipelinedAfterEHLOFailWithBothLinesAsEvidence() async throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO raw.example\r\nMAIL FROM:<a@example.com>\r\n")
        _ = try client.reply()
        _ = try client.reply()
        try client.send("QUIT\r\n")
        _ = try client.reply()
        let report = await verdicts(live)
        let verdict = try #require(report.only("pipelining.synchronization").first)
        #expect(verdict.result == .fail)
        #expect(verdict.explanation == "the client sent MAIL before the reply to EHLO, which must end a pipelined group")
        // In transcript order: MAIL is recorded once the host read it, after the EHLO reply it did not wait for.
        #expect(verdict.evidence.map(\.text) == ["EHLO raw.example", "250-mockmx.test", "MAIL FROM:<a@example.com>"])
        #expect(verdict.evidence[2].time < verdict.evidence[1].time, "MAIL arrived before the EHLO reply went out")
        let transcript = try #require(live.host.sessions.all.first).transcript
        #expect(verdict.evidence.allSatisfy { transcript[$0.entry].text == $0.text })
    }

    @Test func contentBefore354AndBareLineFeedsAndNoQuitFail() async throws {
        let live = try LiveHost()
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("HELO raw.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@example.com>\r\n")
        _ = try client.reply()
        try client.send("RCPT TO:<b@example.org>\r\n")
        _ = try client.reply()
        let long = String(repeating: "x", count: 1200)
        try client.send("DATA\r\nSubject: raw\r\n\r\nbare\nline\r\n\(long)\r\n.\r\n")
        #expect(try client.reply().first?.hasPrefix("354") == true)
        #expect(try client.reply().first?.hasPrefix("250") == true)
        client.shutdownWrite()
        let report = await verdicts(live)
        let waited = try #require(report.only("data.waited-for-354").first)
        #expect(waited.result == .fail)
        #expect(waited.evidence.map(\.text) == ["DATA", "354 End data with <CR><LF>.<CR><LF>", "<1230 bytes of message content>"])
        #expect(waited.evidence[2].time < waited.evidence[1].time, "content dated by its first byte, before the 354")
        let endings = try #require(report.only("data.line-endings").first)
        #expect(endings.result == .fail)
        #expect(endings.evidence.last?.text == "message content: 1 bare <LF>, 0 bare <CR>, 1 line over 1000 octets (longest 1202)")
        #expect(report.only("data.line-length").map(\.result) == [.fail])
        let quit = try #require(report.only("session.quit").first)
        #expect(quit.result == .fail)
        #expect(quit.severity == .warning)
    }

    /// The failing side of `timeouts.patience` live: a client that gives up on a withheld MAIL reply long before
    /// RFC 5321's five minutes (the passing side, a ten-minute wait, is proven in the engine's own tests).
    @Test func givingUpOnAWithheldReplyTooSoonFailsWithTheMeasuredWait() async throws {
        let live = try LiveHost(yaml: "rules:\n  - {on: mail, do: withhold}\n")
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO hasty.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@example.com>\r\n")
        let (ending, received) = client.ending(timeout: 0.3)
        #expect(ending == .open && received.isEmpty, "no reply comes")
        client.shutdownWrite()
        let report = await verdicts(live)
        let verdict = try #require(report.only("timeouts.patience").first)
        #expect(verdict.result == .fail)
        #expect(verdict.explanation.hasPrefix("the client gave up after "), "\(verdict.explanation)")
        #expect(verdict.explanation.hasSuffix(" waiting for the reply to MAIL; at least 5 min is required"))
        #expect(verdict.evidence.map(\.text).prefix(2) == ["MAIL FROM:<a@example.com>", "withheld: no reply will be sent"])
    }
}

/// `expect: {tls: required}` with real swaks: over TLS it passes; after a refused STARTTLS, going on in plain
/// text fails, with the refusal and the plain MAIL as evidence.
@Suite(.enabled(if: ExternalClient.available("swaks"))) struct ExpectedTLSTests {
    private func host(refusing: Bool) throws -> LiveHost {
        try LiveHost(yaml: """
            host:
              extensions: [PIPELINING, STARTTLS]
            expect:
              tls: required
            rules:
            \(refusing ? "  - {on: starttls, do: {reply: \"454 4.7.0 TLS not available due to local problem\"}}" : "")
            """)
    }

    private func swaks(_ port: Int, _ tls: String) throws -> ExternalClient.Result {
        try ExternalClient.run([
            "swaks", "--server", "127.0.0.1:\(port)", "--from", "s@example.com", "--to", "r@example.org", tls,
        ])
    }

    @Test func swaksOverTLSPasses() async throws {
        let live = try host(refusing: false)
        let result = try swaks(live.port, "--tls")
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForEndedSessions(1))
        let verdict = live.host.verdicts.only("starttls.policy")
        #expect(verdict.map(\.result) == [.pass])
        #expect(verdict.first?.explanation == "the client started TLS")
    }

    @Test func swaksGoingOnInPlainTextAfterARefusedSTARTTLSFails() async throws {
        let live = try host(refusing: true)
        let result = try swaks(live.port, "--tls-optional")
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForEndedSessions(1))
        let verdict = try #require(live.host.verdicts.only("starttls.policy").first)
        #expect(verdict.result == .fail)
        #expect(verdict.evidence.map(\.text) == [
            "STARTTLS", "454 4.7.0 TLS not available due to local problem", "MAIL FROM:<s@example.com>",
        ])
        let transcript = try #require(live.host.sessions.all.first).transcript
        #expect(transcript.contains { $0.text == "expect: tls required" }, "the session records what was expected")
    }
}

extension VerdictReport {
    func only(_ check: String) -> [Verdict] { verdicts.filter { $0.check == check } }
}
