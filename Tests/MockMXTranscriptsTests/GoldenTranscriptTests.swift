import Foundation
import MockMXTranscripts
import Testing

/// `mockmx diff`: dialogues compared with run-dependent parts masked; differences shown as a readable diff.
@Suite struct GoldenTranscriptTests {
    private func session(id: String, _ entries: [(String, String, String)], messages: [String] = []) -> Data {
        let transcript = entries.map { time, direction, text in
            ["time": "2026-12-01T22:00:\(time)Z", "direction": direction, "text": text, "rule": NSNull()] as [String: Any]
        }
        let object: [String: Any] = ["id": id, "messages": messages, "transcript": transcript]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    private let golden: [(String, String, String)] = [
        ("00.000", "note", "connect from 127.0.0.1"),
        ("00.001", "server", "220 mx.test ESMTP"),
        ("00.002", "client", "EHLO client.test"),
        ("00.003", "server", "250 mx.test"),
        ("00.004", "client", "MAIL FROM:<a@x.test> SIZE=120"),
        ("00.005", "server", "250 2.1.0 Ok"),
        ("00.006", "client", "<120 bytes of message content>"),
        ("00.007", "server", "250 2.0.0 Ok: queued as AAAA1.1"),
        ("00.008", "client", "QUIT"),
        ("00.009", "server", "221 2.0.0 Bye Tue, 01 Dec 2026 22:19:45 +0000"),
    ]

    @Test func idsDatesAndSizesDoNotMakeADifference() throws {
        var other = golden
        other[4].2 = "MAIL FROM:<a@x.test> SIZE=131"
        other[6].2 = "<131 bytes of message content>"
        other[7].2 = "250 2.0.0 Ok: queued as BBBB7.1"
        other[9].2 = "221 2.0.0 Bye Wed, 02 Dec 2026 01:02:03 +0100"
        let a = try GoldenTranscript.dialogue(sessionJSON: session(id: "AAAA1", golden, messages: ["AAAA1.1"]))
        let b = try GoldenTranscript.dialogue(sessionJSON: session(id: "BBBB7", other, messages: ["BBBB7.1"]))
        #expect(a.count == 9)  // the note is left out
        #expect(GoldenTranscript.difference(a, b, labels: ("a", "b")) == nil)
        let exact = GoldenTranscript.Options(exact: true)
        let exactA = try GoldenTranscript.dialogue(sessionJSON: session(id: "AAAA1", golden), options: exact)
        let exactB = try GoldenTranscript.dialogue(sessionJSON: session(id: "BBBB7", other), options: exact)
        #expect(GoldenTranscript.difference(exactA, exactB, labels: ("a", "b")) != nil)
    }

    @Test func aChangedSenderShowsWhereItDiffers() throws {
        var other = golden
        other.insert(("00.0045", "client", "RSET"), at: 4)
        other.insert(("00.0046", "server", "250 2.0.0 Ok"), at: 5)
        other[9].2 = "451 4.3.0 Try later"  // the queued reply, two lines later now
        let a = try GoldenTranscript.dialogue(sessionJSON: session(id: "6B0F4C8900001", golden))
        let b = try GoldenTranscript.dialogue(sessionJSON: session(id: "7C1A2B3C00002", other))
        let shown = GoldenTranscript.difference(a, b, labels: ("golden.json", "now.json"))
        #expect(shown == """
            --- golden.json
            +++ now.json
              S: 220 mx.test ESMTP
              C: EHLO client.test
              S: 250 mx.test
            + C: RSET
            + S: 250 2.0.0 Ok
              C: MAIL FROM:<a@x.test> SIZE=<n>
              S: 250 2.1.0 Ok
              C: <message content>
            - S: 250 2.0.0 Ok: queued as <id>
            + S: 451 4.3.0 Try later
              C: QUIT
              S: 221 2.0.0 Bye <date>

            """)
    }

    @Test func timingsAreComparedOnlyWhenAsked() throws {
        var slow = golden
        slow[3].0 = "02.500"
        let a = try GoldenTranscript.dialogue(sessionJSON: session(id: "6B0F4C8900001", golden))
        let b = try GoldenTranscript.dialogue(sessionJSON: session(id: "7C1A2B3C00002", slow))
        #expect(GoldenTranscript.difference(a, b, labels: ("a", "b")) == nil)
        let options = GoldenTranscript.Options(timingToleranceMilliseconds: 200)
        let shown = GoldenTranscript.difference(a, b, labels: ("a", "b"), options: options)
        #expect(shown?.contains("~ S: 250 mx.test   (at +2500 ms, was +3 ms)") == true)
    }

    @Test func notesAreComparedWhenAsked() throws {
        let a = try GoldenTranscript.dialogue(sessionJSON: session(id: "6B0F4C8900001", golden), options: .init(notes: true))
        #expect(a.first == GoldenTranscript.Line(side: "N", text: "connect from 127.0.0.1", offset: 0))
    }

    @Test func badDocumentsAreRefusedWithTheReason() {
        #expect(throws: GoldenTranscript.Failure(description: "not a JSON object")) {
            try GoldenTranscript.dialogue(sessionJSON: Data("[1,".utf8))
        }
        #expect(throws: GoldenTranscript.Failure(
            description: "no \"transcript\" list (a session as GET /api/v1/sessions/{id} gives it)")) {
            try GoldenTranscript.dialogue(sessionJSON: Data(#"{"id": "x"}"#.utf8))
        }
        #expect(throws: GoldenTranscript.Failure(description: "transcript entry 0 has no \"direction\" and \"text\"")) {
            try GoldenTranscript.dialogue(sessionJSON: Data(#"{"transcript": [{"text": "x"}]}"#.utf8))
        }
    }
}
