import MockMXVerdicts
import Testing

/// Checks that need a client's sessions together, and `timeouts.patience`, fed as values.
@Suite struct ClientChecksTests {
    /// A session that sends one message whose RCPT (or end of data) gets `code`.
    private func attempt(
        _ id: String, at start: Double, rcptReply: String = "250 2.1.5 Ok", dataReply: String = "250 2.0.0 Ok",
        to: String = "b@mx.test"
    ) -> RecordedSession {
        var script = SessionScript(id, start: start)
        script.greetAndEHLO()
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.server(0.101, "250 2.1.0 Ok")
        script.client(0.102, "RCPT TO:<\(to)>")
        script.server(0.103, rcptReply)
        if rcptReply.hasPrefix("2") {
            script.client(0.104, "DATA")
            script.server(0.105, "354 go ahead")
            script.client(0.106, "<100 bytes of message content>")
            script.client(0.107, ".")
            script.server(0.108, dataReply)
        }
        script.quit(at: 0.2)
        return script.recorded()
    }

    @Test func aGreylistedRecipientRetriedFromANewConnectionPasses() {
        let report = VerdictEngine().judge([
            attempt("S00001", at: 0, rcptReply: "450 4.2.0 <b@mx.test>: Recipient address rejected: Greylisted"),
            attempt("S00002", at: 60),
        ])
        let verdict = report.only("retry.after-temporary-failure")
        #expect(verdict.map(\.result) == [.pass])
        #expect(verdict[0].sessions == ["S00001", "S00002"])
        #expect(verdict[0].message == "<a@client.test> -> <b@mx.test>")
        #expect(verdict[0].evidence.map(\.text) == [
            "450 4.2.0 <b@mx.test>: Recipient address rejected: Greylisted", "MAIL FROM:<a@client.test>",
        ])
    }

    /// A greylisting rule's refusal of RCPT: its note states the delay asked for, then the 451.
    private func greylisted(_ id: String, at start: Double, delay: Double) -> RecordedSession {
        var script = SessionScript(id, start: start)
        script.greetAndEHLO()
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.server(0.101, "250 2.1.0 Ok")
        script.client(0.102, "RCPT TO:<b@mx.test>")
        script.note(0.1025, "greylisted triplet (greylist.yaml:12:5) on rcpt: reply 451 4.7.1 Greylisted")
        script.note(0.1025, RetryDelayNote.text(seconds: delay))
        script.server(0.103, "451 4.7.1 Greylisted, please come back in 00:05:00")
        script.quit(at: 0.2)
        return script.recorded()
    }

    @Test func aRetryBeforeTheGreylistDelayFailsAndOneAfterItPasses() {
        let early = VerdictEngine().judge([greylisted("S00001", at: 0, delay: 300), attempt("S00002", at: 120)])
            .only("retry.after-temporary-failure")
        #expect(early.map(\.result) == [.fail])
        #expect(early[0].explanation
            == "RCPT got 451 asking for a retry after 5 min and the client retried after 2 min, before the delay the host asked for")
        #expect(early[0].evidence.map(\.text) == [
            "greylisted: retry not before 300.0 s", "451 4.7.1 Greylisted, please come back in 00:05:00",
            "RCPT TO:<b@mx.test>",
        ])
        #expect(early[0].evidence.map(\.session) == ["S00001", "S00001", "S00002"])
        let late = VerdictEngine().judge([greylisted("S00001", at: 0, delay: 300), attempt("S00002", at: 301)])
            .only("retry.after-temporary-failure")
        #expect(late.map(\.result) == [.pass])
        // A refusal without a stated delay is judged by the retry alone.
        let stated = VerdictEngine().judge([
            attempt("S00001", at: 0, rcptReply: "451 4.7.1 try later"), attempt("S00002", at: 1),
        ]).only("retry.after-temporary-failure")
        #expect(stated.map(\.result) == [.pass])
        #expect(RetryDelayNote.text(seconds: 3) == "greylisted: retry not before 3.0 s")
    }

    @Test func noRetryIsPendingUntilTheExpectedWindowIsOverThenFails() {
        let first = attempt("S00001", at: 0, dataReply: "451 4.3.0 try later")
        let pending = VerdictEngine().judge([first], now: SessionScript.epoch + 3600)
        #expect(pending.only("retry.after-temporary-failure").map(\.result) == [.pending])
        let engine = VerdictEngine(expectations: ["default": VerdictExpectations(retryWithinSeconds: 600)])
        #expect(engine.judge([first], now: SessionScript.epoch + 300).only("retry.after-temporary-failure")
            .map(\.result) == [.pending])
        let failed = engine.judge([first], now: SessionScript.epoch + 3600).only("retry.after-temporary-failure")
        #expect(failed.map(\.result) == [.fail])
        #expect(failed[0].explanation == "the message got 451 and no retry came within the expected 10 min")
    }

    @Test func aRefusedRecipientTriedAgainFailsAndOneLeftAlonePasses() {
        let refused = attempt("S00001", at: 0, rcptReply: "550 5.1.1 <b@mx.test>: Recipient address rejected")
        let again = attempt("S00002", at: 60)
        let verdict = VerdictEngine().judge([refused, again]).only("no-retry.after-permanent-failure")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].sessions == ["S00001", "S00002"])
        #expect(VerdictEngine().judge([refused]).only("no-retry.after-permanent-failure").map(\.result) == [.pass])
    }

    @Test func partialAcceptanceDeliversToTheAcceptedRecipients() {
        var good = SessionScript()
        good.greetAndEHLO()
        good.client(0.1, "MAIL FROM:<a@client.test>")
        good.server(0.101, "250 Ok")
        good.client(0.102, "RCPT TO:<gone@mx.test>")
        good.server(0.103, "550 5.1.1 no such user")
        good.client(0.104, "RCPT TO:<b@mx.test>")
        good.server(0.105, "250 Ok")
        var bad = good
        good.client(0.106, "DATA")
        good.server(0.107, "354 go ahead")
        good.client(0.108, "<100 bytes of message content>")
        good.client(0.109, ".")
        good.server(0.11, "250 Ok")
        good.quit(at: 0.2)
        #expect(VerdictEngine().judge([good.recorded()]).only("recipients.partial-acceptance").map(\.result) == [.pass])
        bad.client(0.106, "RSET")
        bad.server(0.107, "250 Ok")
        bad.quit(at: 0.2)
        let verdict = VerdictEngine().judge([bad.recorded()]).only("recipients.partial-acceptance")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].evidence.map(\.text) == ["550 5.1.1 no such user"])
    }

    @Test func theSameMessageAcceptedTwiceFailsUnlessTheFirstEndOfDataWasWithheld() {
        let report = VerdictEngine().judge([attempt("S00001", at: 0), attempt("S00002", at: 10)])
        #expect(report.only("delivery.duplicate").map(\.result) == [.fail])
        #expect(report.only("delivery.duplicate")[0].severity == .warning)
        var withheld = SessionScript("S00001")
        withheld.greetAndEHLO()
        withheld.client(0.1, "MAIL FROM:<a@client.test>")
        withheld.server(0.101, "250 2.1.0 Ok")
        withheld.client(0.102, "RCPT TO:<b@mx.test>")
        withheld.server(0.103, "250 2.1.5 Ok")
        withheld.client(0.104, "DATA")
        withheld.server(0.105, "354 go ahead")
        withheld.client(0.106, "<100 bytes of message content>")
        withheld.client(0.107, ".")
        withheld.note(0.108, "withheld: no reply will be sent")
        let expected = VerdictEngine().judge([withheld.recorded(end: "client-vanished", at: 700), attempt("S00002", at: 800)])
        #expect(expected.only("delivery.duplicate").map(\.result) == [.pass])
        #expect(expected.only("timeouts.patience").map(\.result) == [.pass])
    }

    /// The passing side of `timeouts.patience` lives here: no live client waits ten minutes in CI.
    @Test func patienceIsMeasuredAgainstTheStepsMinimum() {
        func withheldMail(endingAt end: Double, reason: String) -> RecordedSession {
            var script = SessionScript()
            script.greetAndEHLO()
            script.client(0.1, "MAIL FROM:<a@b>")
            script.note(0.1, "withheld: no reply will be sent")
            return script.recorded(end: reason, at: end)
        }
        let patient = VerdictEngine().judge([withheldMail(endingAt: 300.2, reason: "client-vanished")])
        #expect(patient.only("timeouts.patience").map(\.result) == [.pass])
        #expect(patient.only("timeouts.patience")[0].explanation
            == "the client waited 5 min for the reply to MAIL (at least 5 min required)")
        let hasty = VerdictEngine().judge([withheldMail(endingAt: 30.1, reason: "client-quit")]).only("timeouts.patience")
        #expect(hasty.map(\.result) == [.fail])
        #expect(hasty[0].explanation == "the client gave up after 30 s waiting for the reply to MAIL; at least 5 min is required")
        let hostFirst = VerdictEngine().judge([withheldMail(endingAt: 60.1, reason: "timeout")]).only("timeouts.patience")
        #expect(hostFirst.map(\.result) == [.inconclusive])
        let expecting = VerdictEngine(expectations: ["default": VerdictExpectations(minimumPatienceSeconds: 20)])
        #expect(expecting.judge([withheldMail(endingAt: 30.1, reason: "client-quit")]).only("timeouts.patience")
            .map(\.result) == [.pass])
    }

    @Test func plainTextAfterAFailedSTARTTLSFailsOnlyWhenTLSIsRequired() {
        var script = SessionScript(scenario: "strict")
        script.greetAndEHLO(["PIPELINING", "STARTTLS"])
        script.client(0.1, "STARTTLS")
        script.server(0.11, "454 4.7.0 TLS not available due to local problem")
        script.client(0.12, "MAIL FROM:<a@b>")
        script.server(0.13, "250 Ok")
        script.quit(at: 0.2)
        let lax = VerdictEngine().judge([script.recorded()]).only("starttls.policy")
        #expect(lax.map(\.result) == [.pass])
        let strict = VerdictEngine(expectations: ["strict": VerdictExpectations(tlsRequired: true)])
            .judge([script.recorded()]).only("starttls.policy")
        #expect(strict.map(\.result) == [.fail])
        #expect(strict[0].evidence.map(\.text) == [
            "STARTTLS", "454 4.7.0 TLS not available due to local problem", "MAIL FROM:<a@b>",
        ])
    }

    @Test func filtersPickByClientCheckAndSessionAndRefuseUnknownChecks() {
        let report = VerdictEngine().judge([attempt("S00001", at: 0), attempt("S00002", at: 10)])
        #expect(VerdictFilter(session: "S00002").apply(report).verdicts.allSatisfy { $0.sessions.contains("S00002") })
        #expect(VerdictFilter(client: "198.51.100.1").apply(report).verdicts.isEmpty)
        #expect(VerdictFilter(check: "session.quit").apply(report).summary.pass == 2)
        #expect(VerdictFilter(check: "session.quitt").problem?.hasPrefix("unknown check 'session.quitt'; checks: ") == true)
    }
}

/// Expectations travel with the session as a note, so a spool judged offline is held to the same.
@Suite struct ExpectationNoteTests {
    @Test func aNoteStatesTheExpectationsAndReadsBack() {
        let expectations = VerdictExpectations(tlsRequired: true, retryWithinSeconds: 1800, minimumPatienceSeconds: 0.5)
        #expect(expectations.note == "expect: tls required, retry within 1800.0 s, patience 0.5 s")
        #expect(VerdictExpectations(note: expectations.note) == expectations)
        #expect(VerdictExpectations(note: "expect: ") == VerdictExpectations())
        #expect(VerdictExpectations(note: "expect: tls maybe") == nil)
        #expect(VerdictExpectations(note: "connect from 127.0.0.1") == nil)
    }

    @Test func aSessionsOwnNoteDecidesOverTheEnginesDefaults() {
        var script = SessionScript()
        script.note(0, VerdictExpectations(tlsRequired: true).note)
        script.greetAndEHLO(["STARTTLS"])
        script.sendMessage(at: 0.1)
        script.quit(at: 0.2)
        let verdict = VerdictEngine().judge([script.recorded()]).only("starttls.policy")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].explanation
            == "STARTTLS was offered and the client did not use it; it sent mail in plain text although TLS is required")
    }
}

/// Duplicates told by Message-ID when the content is at hand: two messages with one envelope and size are two.
@Suite struct MessageIdentityTests {
    @Test func readsTheMessageIDHeaderInAnyCaseUnfoldedAndStopsAtTheBody() {
        #expect(MessageIdentity.messageID(in: Array("Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n".utf8)) == "<a@b>")
        #expect(MessageIdentity.messageID(in: Array("message-id:\r\n <folded@b>\r\nX: y\r\n\r\n".utf8)) == "<folded@b>")
        #expect(MessageIdentity.messageID(in: Array("Subject: x\r\n\r\nMessage-ID: <in@body>\r\n".utf8)) == nil)
        #expect(MessageIdentity.messageID(in: []) == nil)
    }

    private func delivery(_ id: String, at start: Double, queueID: String) -> RecordedSession {
        var script = SessionScript(id, start: start)
        script.greetAndEHLO()
        script.sendMessage(at: 0.1)
        script.quit(at: 0.2)
        var session = script.recorded()
        session.transcript[session.transcript.count - 3].text = "250 2.0.0 Ok: queued as \(queueID)"
        return session
    }

    @Test func differentMessageIDsAreDifferentMessagesAndTheSameOneTwiceIsADuplicate() {
        let sessions = [delivery("S00001", at: 0, queueID: "Q1"), delivery("S00002", at: 10, queueID: "Q2")]
        let distinct = VerdictEngine().judge(sessions, messageIDs: ["Q1": "<one@app>", "Q2": "<two@app>"])
        #expect(distinct.only("delivery.duplicate").map(\.result) == [.pass, .pass])
        let same = VerdictEngine().judge(sessions, messageIDs: ["Q1": "<one@app>", "Q2": "<one@app>"])
        #expect(same.only("delivery.duplicate").map(\.result) == [.fail])
        #expect(VerdictEngine().judge(sessions).only("delivery.duplicate").map(\.result) == [.fail],
                "without the content, one envelope and size is one message")
    }
}
