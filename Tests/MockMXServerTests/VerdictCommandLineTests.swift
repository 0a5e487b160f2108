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
