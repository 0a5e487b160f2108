import Foundation
import MockMXTranscripts
import MockMXScenario
import Testing

/// `mockmx record`: proxied transcripts become a scenario that loads and says what the upstream said.
@Suite struct ScenarioRecorderTests {
    private func session(_ entries: [(Double, String, String)]) -> [ScenarioRecorder.Entry] {
        let start = Date(timeIntervalSince1970: 1_000_000)
        return entries.map { ScenarioRecorder.Entry(direction: $0.1, text: $0.2, time: start + $0.0 / 1000) }
    }

    private var first: [ScenarioRecorder.Entry] {
        session([
            (0, "note", "connect from 127.0.0.1"),
            (40, "note", "upstream said: 220 mx.real.test ESMTP \"quoted\" \\ here"),
            (41, "client", "EHLO c.test"),
            (42, "note", "upstream said: 250-mx.real.test Hello c.test"),
            (42, "note", "upstream said: 250-PIPELINING"),
            (42, "note", "upstream said: 250 SIZE 1000"),
            (43, "client", "RCPT TO:<nobody@x.test>"),
            (53, "note", "upstream said: 550 5.1.1 no such user (a.b)"),
            (54, "client", "RCPT TO:<b@x.test>"),
            (55, "note", "upstream said: 250 2.1.5 Ok"),
            (56, "client", "DATA"),
            (57, "note", "upstream said: 354 go"),
            (58, "client", "<12 bytes of message content>"),
            (58, "client", "."),
            (70, "note", "upstream said: 250 2.0.0 Ok: queued as X1"),
            (71, "client", "XYZZY"),
            (72, "note", "upstream said: 502 5.5.2 Error: command not recognized"),
        ])
    }

    private var second: [ScenarioRecorder.Entry] {
        session([
            (0, "note", "connect"),
            (40, "note", "upstream said: 220 mx.real.test ESMTP"),
            (41, "client", "RCPT TO:<c@x.test>"),
            (42, "note", "upstream said: 250 2.1.5 Ok"),
        ])
    }

    @Test func theRecordingLoadsAndKeepsTheHostsWords() throws {
        let yaml = try #require(ScenarioRecorder.scenario(from: [first, second], upstream: "127.0.0.1:25"))
        let scenario = try ScenarioLoader.load(yaml: yaml, file: "recorded.yaml")
        #expect(scenario.host.hostname == "mx.real.test")
        #expect(scenario.host.greeting.encoded(enhancedStatusCodes: false)
            == Array("220 mx.real.test ESMTP \"quoted\" \\ here\r\n".utf8))
        #expect(scenario.host.extensions == ["PIPELINING", "SIZE 1000"])
        // The refused recipient is a rule on its own arguments, before the usual reply.
        #expect(yaml.contains(#"when: {args: "^TO:<nobody@x\\.test>$"}"#))
        #expect(yaml.contains(#"- reply: "550 5.1.1 no such user (a.b)""#))
        #expect(yaml.contains("- delay: 10ms\n      - reply: \"550"))
        #expect(yaml.contains("on: {verb: \"XYZZY\"}"))
        #expect(yaml.contains("on: data.end\n    do:\n      - delay: 12ms\n      - reply: \"250 2.0.0 Ok: queued as X1\""))
        // The EHLO reply's first line is not the bare hostname: the whole reply is a rule.
        #expect(yaml.contains("- on: ehlo\n    do:\n      - reply: \n          - \"250-mx.real.test Hello c.test\""))
        // The connection waited 40 ms for its greeting.
        #expect(yaml.contains("- on: connect\n    do:\n      - delay: 40ms\n      - default"))
        #expect(scenario.rules.map(\.event) == ["connect", "ehlo", "rcpt", "rcpt", "data", "data.end", "xyzzy"])
    }

    @Test func nothingIsWrittenWithoutAGreeting() {
        #expect(ScenarioRecorder.scenario(from: [], upstream: "127.0.0.1:25") == nil)
        #expect(ScenarioRecorder.scenario(from: [session([(0, "note", "connect")])], upstream: "x") == nil)
    }
}
