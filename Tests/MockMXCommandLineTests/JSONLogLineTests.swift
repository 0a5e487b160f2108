import Foundation
import Testing

@testable import MockMXCommandLine

@Suite struct JSONLogLineTests {
    private func object(_ line: JSONLogLine) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any])
    }

    @Test func aServerLineCarriesItsReplyCode() throws {
        let line = JSONLogLine.transcript(
            time: Date(timeIntervalSince1970: 0), session: "S1", listener: "127.0.0.1:2525", scenario: "greylist",
            direction: "server", text: "451 4.7.1 Greylisting in action", rule: "rule 0 (greylist.yaml:11:5) on rcpt")
        #expect(
            line.text
                == #"{"time":"1970-01-01T00:00:00.000Z","event":"transcript","session":"S1","#
                + #""listener":"127.0.0.1:2525","scenario":"greylist","direction":"server","#
                + #""text":"451 4.7.1 Greylisting in action","code":451,"#
                + #""rule":"rule 0 (greylist.yaml:11:5) on rcpt"}"#)
    }

    @Test func clientLinesAndNotesHaveNoCodeAndNoRuleUnlessOneFired() throws {
        let client = try object(
            .transcript(
                time: Date(), session: "S", listener: "l", scenario: "default", direction: "client", text: "250 looks",
                rule: nil))
        #expect(client["code"] == nil && client["rule"] == nil)
        #expect(client["text"] as? String == "250 looks")
        let truncated = try object(
            .transcript(
                time: Date(), session: "S", listener: "l", scenario: "d", direction: "server", text: "25", rule: nil))
        #expect(truncated["code"] == nil)
    }

    @Test func aDNSQueryCarriesItsAnswersAndNoCodeWhenUnanswered() throws {
        let line = JSONLogLine.dnsQuery(
            time: Date(timeIntervalSince1970: 0), client: "127.0.0.1", name: "mx-fallback.test", type: "MX",
            rcode: "NOERROR", answers: ["10 mx1.mx-fallback.test.", "20 \"odd\"."])
        #expect(
            line.text
                == #"{"time":"1970-01-01T00:00:00.000Z","event":"dns-query","client":"127.0.0.1","#
                + #""name":"mx-fallback.test","type":"MX","rcode":"NOERROR","#
                + #""answers":["10 mx1.mx-fallback.test.","20 \"odd\"."]}"#)
        let silent = try object(
            .dnsQuery(time: Date(), client: "::1", name: "slowdns.test", type: "A", rcode: nil, answers: []))
        #expect(silent["rcode"] == nil && silent["answers"] as? [String] == [])
    }

    @Test func everyStringIsEscapedAsJSON() throws {
        let nasty = "quote \" backslash \\ tab \t nul \u{0} esc \u{1B} del \u{7F} é ☃ \u{2028}"
        var line = JSONLogLine(event: "x")
        line.add("text", nasty)
        line.add("count", 3)
        line.add("flag", true)
        line.add("missing", nil as String?)
        #expect(!line.text.contains("\n") && !line.text.contains("\u{0}"))
        let parsed = try object(line)
        #expect(parsed["text"] as? String == nasty)
        #expect(parsed["count"] as? Int == 3 && parsed["flag"] as? Bool == true)
        #expect(parsed["missing"] == nil)
        #expect(line.text.hasPrefix(#"{"time":""#))
    }
}
