import MockMXVerdicts
import Testing

/// `mx.preference-and-fallback` and `mx.null-mx-respected`, fed DNS lookups and sessions as values.
@Suite struct MXChecksTests {
    private let client = "127.0.0.1"

    private func lookup(_ at: Double, _ type: String, _ name: String, _ answers: [String], rcode: String = "NOERROR")
        -> DNSLookup
    {
        DNSLookup(time: SessionScript.time(at), client: client, name: name, type: type, rcode: rcode, answers: answers)
    }

    /// The MX of mx.test (mx1 preference 10, mx2 preference 20), then the A lookups of both.
    private var mxLookups: [DNSLookup] {
        [
            lookup(0, "MX", "mx.test", ["10 mx1.mx.test.", "20 mx2.mx.test."]),
            lookup(0.01, "A", "mx1.mx.test", ["127.0.0.2"]),
            lookup(0.02, "A", "mx2.mx.test", ["127.0.0.3"]),
        ]
    }

    /// A session on `listener` that the host greets with 421.
    private func refused(_ id: String, at start: Double, listener: String) -> RecordedSession {
        var script = SessionScript(id, client: client, start: start)
        script.listener = listener
        script.note(0, "connect from \(client) to \(listener) (scenario greeting-421)")
        script.server(0.01, "421 4.7.0 mx1.mx.test Error: too many connections")
        return script.recorded(end: "protocol-close")
    }

    /// A session on `listener` that delivers one message to `to`.
    private func delivered(_ id: String, at start: Double, listener: String, to: String = "user@mx.test")
        -> RecordedSession
    {
        var script = SessionScript(id, client: client, start: start)
        script.listener = listener
        script.greetAndEHLO()
        script.sendMessage(at: 0.1, to: to)
        script.quit(at: 0.2)
        return script.recorded()
    }

    private func mx(_ sessions: [RecordedSession], _ lookups: [DNSLookup]) -> [Verdict] {
        VerdictEngine().judge(sessions, dnsLookups: lookups).only("mx.preference-and-fallback")
    }

    @Test func theMostPreferredHostFirstThenTheNextWhenItGreetsWith421Passes() {
        let verdicts = mx(
            [refused("S00001", at: 1, listener: "127.0.0.2:25"), delivered("S00002", at: 2, listener: "127.0.0.3:25")],
            mxLookups)
        #expect(verdicts.map(\.result) == [.pass])
        #expect(verdicts[0].explanation
            == "mx1.mx.test (preference 10) greeted with 421 and the client fell back to mx2.mx.test (preference 20)")
        #expect(verdicts[0].sessions == ["S00001", "S00002"])
        #expect(verdicts[0].message == "MX mx.test")
        #expect(verdicts[0].reference == "RFC 5321 §5.1")
        #expect(verdicts[0].evidence.map(\.session) == ["dns", "S00001", "S00002"])
        #expect(verdicts[0].evidence[0].text == "MX mx.test -> NOERROR 10 mx1.mx.test. 20 mx2.mx.test.")
        #expect(verdicts[0].evidence[1].text == "421 4.7.0 mx1.mx.test Error: too many connections")
    }

    @Test func deliveringToTheMostPreferredHostPasses() {
        let verdicts = mx([delivered("S00001", at: 1, listener: "127.0.0.2:25")], mxLookups)
        #expect(verdicts.map(\.result) == [.pass])
        #expect(verdicts[0].explanation == "the client tried mx1.mx.test (preference 10), the most preferred host, first")
    }

    @Test func skippingTheMostPreferredHostFailsOrCannotBeTold() {
        // mx1 never even looked up: the client went straight to mx2.
        let unresolved = [mxLookups[0], mxLookups[2]]
        let skipped = mx([delivered("S00001", at: 1, listener: "127.0.0.3:25")], unresolved)
        #expect(skipped.map(\.result) == [.fail])
        #expect(skipped[0].explanation
            == "the client went to mx2.mx.test (preference 20) without even looking up mx1.mx.test (preference 10)")
        // mx1 looked up but no session there: a refused connection leaves no trace, so it cannot be told.
        let untold = mx([delivered("S00001", at: 1, listener: "127.0.0.3:25")], mxLookups)
        #expect(untold.map(\.result) == [.inconclusive])
        // mx1 has no address at all: going to mx2 is right.
        let noAddress = [mxLookups[0], lookup(0.01, "A", "mx1.mx.test", [], rcode: "NXDOMAIN"), mxLookups[2]]
        #expect(mx([delivered("S00001", at: 1, listener: "127.0.0.3:25")], noAddress).map(\.result) == [.pass])
    }

    @Test func goingBackToTheFailedHostInsteadOfTheNextFails() {
        let verdicts = mx(
            [refused("S00001", at: 1, listener: "127.0.0.2:25"), refused("S00002", at: 2, listener: "127.0.0.2:25")],
            mxLookups)
        #expect(verdicts.map(\.result) == [.fail])
        #expect(verdicts[0].explanation == "mx1.mx.test (preference 10) greeted with 421 and the client went back to "
            + "mx1.mx.test (preference 10) instead of falling back to mx2.mx.test (preference 20)")
        #expect(verdicts[0].evidence.map(\.session) == ["dns", "S00001", "S00002"])
        // Only the failed attempt so far: the fallback may still come.
        #expect(mx([refused("S00001", at: 1, listener: "127.0.0.2:25")], mxLookups).map(\.result) == [.pending])
    }

    @Test func aLookupWithoutAnyConnectionIsPendingAndSessionsBeforeItDoNotCount() {
        #expect(mx([], mxLookups).map(\.result) == [.pending])
        let earlier = delivered("S00001", at: -5, listener: "127.0.0.3:25")
        #expect(mx([earlier], mxLookups).map(\.result) == [.pending])
        // Sessions on listeners that are none of the MX hosts are not judged against it.
        #expect(mx([delivered("S00001", at: 1, listener: "127.0.0.9:25")], mxLookups).map(\.result) == [.pending])
        // Without DNS lookups the checks do not apply.
        #expect(VerdictEngine().judge([earlier]).verdicts.allSatisfy { !$0.check.hasPrefix("mx.") })
    }

    @Test func aRecipientAtANullMXDomainFailsAndNoneThereAfterTheLookupPasses() {
        let nullMX = [lookup(0, "MX", "NullMX.test.", ["0 ."])]
        let sent = VerdictEngine().judge(
            [delivered("S00001", at: 1, listener: "127.0.0.4:25", to: "user@nullmx.test")], dnsLookups: nullMX
        ).only("mx.null-mx-respected")
        #expect(sent.map(\.result) == [.fail])
        #expect(sent[0].reference == "RFC 7505 §3, §4")
        #expect(sent[0].evidence.map(\.text) == ["MX NullMX.test. -> NOERROR 0 .", "RCPT TO:<user@nullmx.test>"])
        #expect(sent[0].explanation == "nullmx.test has a null MX (it takes no mail) and the client still sent a recipient there")
        let respected = VerdictEngine().judge(
            [delivered("S00001", at: 1, listener: "127.0.0.4:25", to: "user@other.test")], dnsLookups: nullMX + nullMX
        ).only("mx.null-mx-respected")
        #expect(respected.map(\.result) == [.pass])
        #expect(respected[0].client == client)
    }
}

/// The full report card: every check for one client, with why those without a verdict were not exercised.
@Suite struct ClientCardTests {
    private func session() -> RecordedSession {
        var script = SessionScript("S00001")
        script.greetAndEHLO()
        script.sendMessage(at: 0.1)
        script.quit(at: 0.2)
        return script.recorded()
    }

    @Test func everyCheckIsOnTheCardWithTheWorstResultOrWhyItWasNotExercised() throws {
        let report = VerdictEngine().judge([session()])
        let card = try #require(report.cards.first)
        #expect(report.cards.count == 1 && card.client == "192.0.2.7")
        #expect(card.checks.map(\.check) == VerdictCheck.allCases.map(\.rawValue))
        let pipelining = try #require(card.checks.first { $0.check == "pipelining.synchronization" })
        #expect(pipelining.result == "pass" && pipelining.verdicts == 1 && pipelining.reason == nil)
        let fallback = try #require(card.checks.first { $0.check == "mx.preference-and-fallback" })
        #expect(fallback.result == "not-exercised" && fallback.verdicts == 0)
        #expect(fallback.reason == "the client looked up no MX record at mockmx's DNS responder (serve --dns)")
        #expect(card.summary.pass + card.summary.notExercised == VerdictCheck.allCases.count)
        #expect(card.summary.pass == report.verdicts.count)
        // The worst result wins: one failure among passes makes the check fail.
        var failed = report.verdicts
        failed.append(Verdict(
            check: "pipelining.synchronization", result: .fail, severity: .error, client: "192.0.2.7", sessions: [],
            message: nil, evidence: [], reference: "", explanation: ""))
        #expect(ClientCard(client: "192.0.2.7", verdicts: failed).checks[0].result == "fail")
        #expect(ClientCard(client: "192.0.2.7", verdicts: failed).summary.fail == 1)
    }

    @Test func theTextCardAndJUnitListTheChecksNotExercised() {
        let report = VerdictEngine().judge([session()])
        let text = ReportCard.render(report)
        #expect(text.contains("report card for 192.0.2.7: \(report.verdicts.count) pass, 0 fail, 0 pending, 0 inconclusive, "))
        #expect(text.contains("  -            ehlo.fallback                     not exercised: the host never refused EHLO with 500 or 502\n"))
        #expect(text.contains("  PASS         session.quit                      1 verdict\n"))
        let xml = JUnitReport.render(report)
        #expect(xml.contains("name=\"ehlo.fallback\""))
        #expect(xml.contains("tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"1\""))
        #expect(xml.contains("not exercised for 192.0.2.7: the host never refused EHLO with 500 or 502"))
    }

    @Test func aFilterKeepsTheCardsOfItsClientWithTheCheckAskedFor() {
        let report = VerdictEngine().judge([session()])
        #expect(VerdictFilter(client: "198.51.100.1").apply(report).cards.isEmpty)
        let one = VerdictFilter(check: "session.quit").apply(report)
        #expect(one.cards.map { $0.checks.map(\.check) } == [["session.quit"]])
    }
}
