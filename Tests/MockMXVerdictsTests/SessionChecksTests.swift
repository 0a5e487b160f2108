import MockMXVerdicts
import Testing

/// Each check decidable from one session, a well-behaved and a misbehaving client, sessions fed as values.
@Suite struct SessionChecksTests {
    private func judge(_ sessions: RecordedSession..., engine: VerdictEngine = VerdictEngine()) -> VerdictReport {
        engine.judge(sessions)
    }

    private func wellBehaved(_ extensions: [String] = ["PIPELINING", "SIZE 10240000"]) -> SessionScript {
        var script = SessionScript()
        script.greetAndEHLO(extensions)
        script.sendMessage(at: 0.1)
        script.quit(at: 0.2)
        return script
    }

    @Test func aWellBehavedClientPassesEveryCheckThatApplies() {
        let report = judge(wellBehaved().recorded())
        #expect(report.summary.fail == 0)
        #expect(Set(report.verdicts.map(\.check)) == [
            "pipelining.synchronization", "reply.multiline", "data.waited-for-354", "session.quit",
            "data.line-endings", "data.line-length", "size.respected", "delivery.duplicate",
        ])
        #expect(report.verdicts.allSatisfy { $0.client == "192.0.2.7" && $0.sessions == ["S00001"] })
    }

    @Test func pipeliningWithoutTheExtensionFailsWithTheEarlyCommandAsEvidence() {
        var script = SessionScript()
        script.greetAndEHLO(["SIZE 1000"])
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.client(0.1, "RCPT TO:<b@mx.test>")
        script.server(0.101, "250 2.1.0 Ok")
        script.server(0.102, "250 2.1.5 Ok")
        script.quit(at: 0.2)
        let verdict = judge(script.recorded()).only("pipelining.synchronization")
        #expect(verdict.count == 1)
        #expect(verdict[0].result == .fail)
        #expect(verdict[0].evidence.map(\.entry) == [5, 6, 7])
        #expect(verdict[0].evidence.map(\.text) == ["MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.test>", "250 2.1.0 Ok"])
        #expect(verdict[0].explanation.contains("did not advertise PIPELINING"))
        #expect(verdict[0].reference == "RFC 2920 §3.1, RFC 5321 §4.3")
    }

    @Test func pipeliningMailAndRcptWithTheExtensionPasses() {
        var script = SessionScript()
        script.greetAndEHLO()
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.client(0.1, "RCPT TO:<b@mx.test>")
        script.client(0.1, "DATA")
        script.server(0.101, "250 2.1.0 Ok", "250 2.1.5 Ok", "354 go ahead")
        script.client(0.2, "<10 bytes of message content>")
        script.client(0.2, ".")
        script.client(0.2, "QUIT")
        script.server(0.201, "250 2.0.0 Ok", "221 2.0.0 Bye")
        let report = judge(script.recorded())
        #expect(report.only("pipelining.synchronization").map(\.result) == [.pass])
        #expect(report.only("data.waited-for-354").map(\.result) == [.pass])
    }

    @Test func commandsAfterDataInOneGroupFail() {
        var script = SessionScript()
        script.greetAndEHLO()
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.server(0.101, "250 2.1.0 Ok")
        script.client(0.102, "RCPT TO:<b@mx.test>")
        script.server(0.103, "250 2.1.5 Ok")
        script.client(0.104, "DATA")
        script.client(0.104, "NOOP")
        script.server(0.105, "354 go ahead")
        let verdict = judge(script.recorded(end: "client-vanished")).only("pipelining.synchronization")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].explanation == "the client sent NOOP before the reply to DATA, which must end a pipelined group")
    }

    @Test func aCommandBeforeTheGreetingFails() {
        var script = SessionScript()
        script.client(0, "EHLO early.test")
        script.server(0.5, "220 mx.test ESMTP")
        script.server(0.6, "250 mx.test")
        script.quit(at: 1)
        let verdict = judge(script.recorded()).only("pipelining.synchronization")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].explanation == "the client sent EHLO before the host's greeting")
    }

    @Test func aCommandBeforeTheLastLineOfAMultilineReplyFails() {
        var script = SessionScript()
        script.server(0.01, "220 mx.test")
        script.client(0.02, "EHLO c")
        script.server(0.03, "250-mx.test")
        script.client(0.04, "MAIL FROM:<a@b>")
        script.server(0.05, "250 PIPELINING")
        let report = judge(script.recorded(end: "client-vanished"))
        #expect(report.only("reply.multiline").map(\.result) == [.fail])
        #expect(report.only("reply.multiline")[0].evidence.map(\.entry) == [2, 3, 4])
    }

    @Test func contentBefore354Fails() {
        var script = SessionScript()
        script.greetAndEHLO()
        script.client(0.1, "MAIL FROM:<a@client.test>")
        script.server(0.101, "250 2.1.0 Ok")
        script.client(0.102, "RCPT TO:<b@mx.test>")
        script.server(0.103, "250 2.1.5 Ok")
        script.client(0.104, "DATA")
        script.client(0.104, "<50 bytes of message content>")
        script.server(0.2, "354 go ahead")
        script.client(0.3, ".")
        script.server(0.301, "250 2.0.0 Ok")
        script.quit(at: 0.4)
        let verdict = judge(script.recorded()).only("data.waited-for-354")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].message == "<a@client.test> -> <b@mx.test> (50 bytes)")
        #expect(verdict[0].evidence.map(\.text) == ["DATA", "<50 bytes of message content>", "354 go ahead"])
    }

    @Test func closingWithoutQuitIsAWarningLevelFailure() {
        var script = wellBehaved()
        script = SessionScript()
        script.greetAndEHLO()
        script.sendMessage(at: 0.1)
        let verdict = judge(script.recorded(end: "client-vanished")).only("session.quit")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].severity == .warning)
        #expect(judge(wellBehaved().recorded()).only("session.quit").map(\.result) == [.pass])
        #expect(judge(script.recorded(end: nil)).only("session.quit").map(\.result) == [.pending])
    }

    @Test func bareLineEndsAndLongLinesInTheContentFail() {
        var script = SessionScript()
        script.greetAndEHLO()
        script.sendMessage(at: 0.1)
        script.note(0.109, ContentShape(bareLineFeeds: 2, bareCarriageReturns: 1, longLines: 1, longestLine: 1502).note)
        script.quit(at: 0.2)
        let report = judge(script.recorded())
        #expect(report.only("data.line-endings").map(\.result) == [.fail])
        #expect(report.only("data.line-endings")[0].evidence.map(\.text).last
            == "message content: 2 bare <LF>, 1 bare <CR>, 1 line over 1000 octets (longest 1502)")
        #expect(report.only("data.line-length").map(\.result) == [.fail])
        #expect(report.only("data.line-length")[0].explanation.contains("longest 1502"))
    }

    @Test func contentShapeNotesReadBack() {
        let shape = ContentShape(bareLineFeeds: 0, bareCarriageReturns: 3, longLines: 2, longestLine: 4000)
        #expect(ContentShape(note: shape.note) == shape)
        #expect(ContentShape(note: "message content reached 100 bytes") == nil)
    }

    @Test func ehloRefusedThenHELOPassesAndAnythingElseFails() {
        var good = SessionScript()
        good.server(0.01, "220 ***")
        good.client(0.02, "EHLO c")
        good.server(0.03, "500 5.5.2 Error: command not recognized")
        good.client(0.04, "HELO c")
        good.server(0.05, "250 mx.test")
        good.quit(at: 0.1)
        #expect(judge(good.recorded()).only("ehlo.fallback").map(\.result) == [.pass])
        var bad = SessionScript()
        bad.server(0.01, "220 ***")
        bad.client(0.02, "EHLO c")
        bad.server(0.03, "502 5.5.1 not implemented")
        bad.client(0.04, "MAIL FROM:<a@b>")
        bad.server(0.05, "503 5.5.1 Error: send HELO/EHLO first")
        bad.quit(at: 0.1)
        let verdict = judge(bad.recorded()).only("ehlo.fallback")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].evidence.map(\.entry) == [1, 2, 3])
    }

    @Test func aMessageOverTheAdvertisedSizeFailsAndOneWithinPasses() {
        var script = SessionScript()
        script.greetAndEHLO(["SIZE 1000"])
        script.sendMessage(at: 0.1, bytes: 1500)
        script.quit(at: 0.2)
        let verdict = judge(script.recorded()).only("size.respected")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].explanation == "the client sent 1500 octets although the host advertised SIZE 1000")
        #expect(judge(wellBehaved().recorded()).only("size.respected").map(\.result) == [.pass])
    }

    @Test func goingOnAfter552ToMailFails() {
        var script = SessionScript()
        script.greetAndEHLO(["SIZE 1000"])
        script.client(0.1, "MAIL FROM:<a@b> SIZE=5000")
        script.server(0.11, "552 5.3.4 Message size exceeds fixed limit")
        script.client(0.12, "RCPT TO:<c@d>")
        script.server(0.13, "503 5.5.1 Error: need MAIL command")
        script.quit(at: 0.2)
        #expect(judge(script.recorded()).only("size.respected").map(\.result) == [.fail])
    }

    @Test func commandsAfterA421FailAndSilencePasses() {
        var bad = SessionScript()
        bad.greetAndEHLO()
        bad.client(0.1, "MAIL FROM:<a@b>")
        bad.server(0.11, "421 4.3.2 Service shutting down")
        bad.client(0.12, "RCPT TO:<c@d>")
        let verdict = judge(bad.recorded(end: "client-vanished")).only("connection.421-handled")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].evidence.map(\.text) == ["421 4.3.2 Service shutting down", "RCPT TO:<c@d>"])
        var good = SessionScript()
        good.greetAndEHLO()
        good.client(0.1, "MAIL FROM:<a@b>")
        good.server(0.11, "421 4.3.2 Service shutting down")
        let report = judge(good.recorded(end: "client-vanished"))
        #expect(report.only("connection.421-handled").map(\.result) == [.pass])
        #expect(report.only("session.quit").isEmpty, "closing after a 421 without QUIT is right")
    }

    @Test func xexch50BlobOfTheAnnouncedSizePassesAndExtraOctetsFail() {
        var good = SessionScript()
        good.greetAndEHLO(["XEXCH50"])
        good.client(0.1, "MAIL FROM:<a@b>")
        good.server(0.11, "250 Ok")
        good.client(0.12, "RCPT TO:<c@d>")
        good.server(0.13, "250 Ok")
        good.client(0.14, "XEXCH50 1124 2")
        good.server(0.15, "354 Send binary data")
        good.client(0.16, "<1124 bytes of XEXCH50 blob>")
        good.server(0.17, "250 2.0.0 XEXCH50 OK")
        var bad = good
        good.client(0.18, "DATA")
        good.server(0.19, "354 go ahead")
        #expect(judge(good.recorded(end: "client-vanished")).only("xexch50.exchange").map(\.result) == [.pass])
        bad.note(0.18, "malformed command line: line too long")
        bad.server(0.181, "500 5.5.2 Error: line too long")
        let verdict = judge(bad.recorded(end: "client-vanished")).only("xexch50.exchange")
        #expect(verdict.map(\.result) == [.fail])
        #expect(verdict[0].explanation == "more octets followed the 1124-octet blob than XEXCH50 announced")
    }

    @Test func afterARefusedXEXCH50TheClientGoesOnToData() {
        var script = SessionScript()
        script.greetAndEHLO(["XEXCH50"])
        script.client(0.1, "MAIL FROM:<a@b>")
        script.server(0.11, "250 Ok")
        script.client(0.12, "RCPT TO:<c@d>")
        script.server(0.13, "250 Ok")
        script.client(0.14, "XEXCH50 1124 2")
        script.server(0.15, "504 Need to authenticate first ")
        var bad = script
        script.client(0.16, "DATA")
        script.server(0.17, "354 go ahead")
        #expect(judge(script.recorded(end: "client-vanished")).only("xexch50.exchange").map(\.result) == [.pass])
        bad.client(0.16, "\\x01\\x02binary")
        bad.server(0.17, "500 5.5.2 Error: command not recognized")
        #expect(judge(bad.recorded(end: "client-vanished")).only("xexch50.exchange").map(\.result) == [.fail])
    }
}

@Suite struct TranscriptBoundTests {
    @Test func aPassOnACutTranscriptIsInconclusiveAndAFailStaysAFail() {
        var script = SessionScript()
        script.greetAndEHLO(["SIZE 100"])
        script.sendMessage(at: 0.1, bytes: 500)
        script.quit(at: 0.2)
        var session = script.recorded()
        session.omittedTranscriptEntries = 40
        let report = VerdictEngine().judge([session])
        #expect(report.only("data.waited-for-354").map(\.result) == [.inconclusive])
        #expect(report.only("data.waited-for-354")[0].explanation.hasSuffix(
            "; but 40 later transcript entries were not kept (the transcript bound)"))
        #expect(report.only("size.respected").map(\.result) == [.fail])
        #expect(report.only("session.quit").map(\.result) == [.pass], "judged from how the session ended")
    }
}
