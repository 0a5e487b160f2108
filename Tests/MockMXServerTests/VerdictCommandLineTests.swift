import Foundation
import MockMXVerdicts
import Testing

/// `serve --junit/--fail-on-verdict/--spool` and `mockmx verdicts DIR` as a CI script runs them.
@Suite struct VerdictCommandLineTests {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-\(name)").path
    }

    /// One well-behaved session, one that pipelines after EHLO and leaves without QUIT.
    private func drive(port: Int) throws {
        let good = try RawClient(port: port)
        _ = try good.reply()
        for command in ["EHLO good.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "DATA"] {
            try good.send(command + "\r\n")
            _ = try good.reply()
        }
        try good.send("Subject: good\r\n\r\nhello\r\n.\r\n")
        _ = try good.reply()
        try good.send("QUIT\r\n")
        _ = try good.reply()
        let bad = try RawClient(port: port)
        _ = try bad.reply()
        try bad.send("EHLO bad.example\r\nMAIL FROM:<a@example.com>\r\n")
        _ = try bad.reply()
        _ = try bad.reply()
        bad.shutdownWrite()
        _ = bad.ending()
    }

    @Test func serveWritesValidJUnitFailsOnAVerdictAndSpoolsSessionsThatJudgeTheSameOffline() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        let junit = temporaryPath("verdicts.xml")
        defer {
            for path in [ready, spool, junit] { try? FileManager.default.removeItem(atPath: path) }
        }
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--ready-file", ready, "--spool", spool,
            "--junit", junit, "--fail-on-verdict",
        ])
        _ = try #require(serve.line())
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready)))
        let smtp = try #require(((document as? [String: Any])?["smtp"] as? [[String: Any]])?.first?["port"] as? Int)
        let api = try #require(((document as? [String: Any])?["api"] as? [String: Any])?["port"] as? Int)
        try drive(port: smtp)
        let waited = try ExternalClient.run(["curl", "-sS", "http://127.0.0.1:\(api)/api/v1/wait?sessions=2&timeout=10"])
        #expect(waited.status == 0, "\(waited.output)")
        let live = try ExternalClient.run(["curl", "-sS", "http://127.0.0.1:\(api)/api/v1/verdicts"])

        let (status, rest, errors) = serve.terminate()
        #expect(status == 1, "a failed verdict with --fail-on-verdict: \(errors)")
        let lastLine = rest.split(separator: "\n").last.map(String.init)
        #expect(lastLine?.hasPrefix("mockmx: verdicts: ") == true, "\(rest)")
        #expect(lastLine?.contains(" 0 fail") == false)

        let validation = try ExternalClient.run([
            "xmllint", "--noout", "--schema", Self.repository.appendingPathComponent("docs/junit.xsd").path, junit,
        ])
        #expect(validation.status == 0, "\(validation.output)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<failure message=\"the client sent MAIL before the reply to EHLO"))
        #expect(!xml.contains("type=\"warning\""), "warnings are failures only with --junit-warnings")

        let offline = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", spool, "--format", "json"])
        #expect(offline.status == 1)
        let liveReport = try JSONDecoder().decode(VerdictReport.self, from: Data(live.output.utf8))
        let offlineReport = try JSONDecoder().decode(VerdictReport.self, from: Data(offline.output.utf8))
        #expect(offlineReport == liveReport)
        #expect(liveReport.summary.fail == 2, "pipelining.synchronization and session.quit")

        let card = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", spool])
        #expect(card.status == 1)
        #expect(card.output.contains("FAIL         pipelining.synchronization"))
        #expect(card.output.contains("WARN         session.quit"))
        #expect(card.output.hasSuffix("verdicts: \(liveReport.summary.line)\n"))
        let withWarnings = try ExternalClient.run([
            BuiltProducts.mockmx, "verdicts", spool, "--format", "junit", "--junit-warnings",
        ])
        #expect(withWarnings.output.contains("type=\"warning\""))
    }

    /// A sender's MX steps done by hand: the MX lookup, the A lookups, the most preferred host (which greets with
    /// 421), the next one (which takes the message), and a null MX left alone. The spool's dns.jsonl lets
    /// `mockmx verdicts` judge the MX checks offline as the API did live.
    @Test func theMXChecksJudgeTheDNSLogLiveAndFromTheSpool() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        let domains = temporaryPath("domains.yaml")
        defer {
            for path in [ready, spool, domains] { try? FileManager.default.removeItem(atPath: path) }
        }
        try """
            dns:
              domains:
                mx.test: {mx: [10 mx1.mx.test, 20 mx2.mx.test]}
                mx1.mx.test: {a: 127.0.0.2}
                mx2.mx.test: {a: 127.0.0.3}
                nullmx.test: {mx: 0 .}
            """.write(toFile: domains, atomically: true, encoding: .utf8)
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.2:0=greeting-421", "--listen", "127.0.0.3:0", "--api", "127.0.0.1:0",
            "--dns", "127.0.0.1:0=\(domains)", "--ready-file", ready, "--spool", spool,
        ])
        _ = try #require(serve.line())
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready))) as? [String: Any])
        let ports = try #require((document["smtp"] as? [[String: Any]])?.compactMap { $0["port"] as? Int })
        let api = try #require((document["api"] as? [String: Any])?["port"] as? Int)
        let dns = DNSClient(port: try #require((document["dns"] as? [String: Any])?["port"] as? Int))
        for (id, (name, type)) in [("mx.test", 15), ("mx1.mx.test", 1), ("mx2.mx.test", 1)].enumerated() {
            #expect(try dns.exchange(DNSClient.query(id: UInt16(id), name: name, type: UInt16(type)))?.answerCount ?? 0 > 0)
        }
        let primary = try RawClient(port: ports[0], host: "127.0.0.2")
        #expect(try primary.replyLine().hasPrefix("421"))
        _ = primary.ending()
        let secondary = try RawClient(port: ports[1], host: "127.0.0.3")
        _ = try secondary.reply()
        for command in ["EHLO sender.test", "MAIL FROM:<a@sender.test>", "RCPT TO:<user@mx.test>", "DATA"] {
            try secondary.send(command + "\r\n")
            _ = try secondary.reply()
        }
        try secondary.send("Subject: fallback\r\n\r\nhello\r\n.\r\n")
        _ = try secondary.reply()
        try secondary.send("QUIT\r\n")
        _ = try secondary.reply()
        #expect(try dns.exchange(DNSClient.query(id: 9, name: "nullmx.test", type: 15))?.answerCount == 1)
        let waited = try ExternalClient.run(["curl", "-sS", "http://127.0.0.1:\(api)/api/v1/wait?sessions=2&timeout=10"])
        #expect(waited.status == 0, "\(waited.output)")
        let live = try ExternalClient.run(["curl", "-sS", "http://127.0.0.1:\(api)/api/v1/verdicts"])
        _ = serve.terminate()

        let liveReport = try JSONDecoder().decode(VerdictReport.self, from: Data(live.output.utf8))
        let fallback = liveReport.verdicts.filter { $0.check == "mx.preference-and-fallback" }
        #expect(fallback.map(\.result) == [.pass])
        #expect(fallback.first?.explanation
            == "mx1.mx.test (preference 10) greeted with 421 and the client fell back to mx2.mx.test (preference 20)")
        #expect(liveReport.verdicts.filter { $0.check == "mx.null-mx-respected" }.map(\.result) == [.pass])
        let lines = try String(contentsOfFile: spool + "/dns.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        let offline = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", spool, "--format", "json"])
        #expect(offline.status == 0, "\(offline.output)")
        #expect(try JSONDecoder().decode(VerdictReport.self, from: Data(offline.output.utf8)) == liveReport)

        // A damaged line is named with its file and line; nothing is judged.
        try (lines[0] + "\n{\"time\": 1}\n").write(toFile: spool + "/dns.jsonl", atomically: true, encoding: .utf8)
        let damaged = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", spool])
        #expect(damaged.status == 2)
        #expect(damaged.output.contains("dns.jsonl:2: not a mockmx DNS lookup: time: "), "\(damaged.output)")
    }

    @Test func verdictsRefusesWhatIsNotASpool() throws {
        let folder = temporaryPath("not-a-spool")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(#"{"format": 2, "id": "S1"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/S1.json"))
        let future = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", folder])
        #expect(future.status == 2)
        #expect(future.output.contains("S1.json: not a mockmx session file: format: session format 2 is not known"))
        try Data(#"{"format": 1, "id": "S1"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/S1.json"))
        let partial = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", folder])
        #expect(partial.status == 2)
        #expect(partial.output.contains("not a mockmx session file: No value associated with key"), "\(partial.output)")
        let missing = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", folder + "/nowhere"])
        #expect(missing.status == 2)
        let badCheck = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", folder, "--check", "quit"])
        #expect(badCheck.status == 64)
        #expect(badCheck.output.contains("unknown check 'quit'"))
        let empty = temporaryPath("empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try ExternalClient.run([BuiltProducts.mockmx, "verdicts", empty])
        #expect(none.status == 0)
        #expect(none.output == "verdicts: 0 pass, 0 fail, 0 pending, 0 inconclusive\n")
    }
}
