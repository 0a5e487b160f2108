import Foundation
import MockMXScenario
import SMTPProtocol
import Synchronization
import Testing

/// The scenarios shipped in `Scenarios/` and compiled into the binary.
@Suite struct BundledScenarioTests {
    /// The repository's `Scenarios/` folder, found from this file (symlinks resolved, so a development
    /// package that links the test folder finds the real repository).
    private static let scenariosDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios")

    private static func filesOnDisk() throws -> [(name: String, yaml: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: scenariosDirectory.path)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
        return try names.map { file in
            let yaml = try String(contentsOf: scenariosDirectory.appendingPathComponent(file), encoding: .utf8)
            return (String(file.dropLast(".yaml".count)), yaml)
        }
    }

    @Test func theGeneratedFileMatchesScenariosOnDisk() throws {
        let onDisk = try Self.filesOnDisk()
        let hint = "Sources/MockMXScenario/Loading/BundledScenarios.swift is out of date: run scripts/embed-scenarios"
        #expect(BundledScenarios.all.map(\.name) == onDisk.map(\.name), "\(hint)")
        for (bundled, file) in zip(BundledScenarios.all, onDisk) where bundled.name == file.name {
            #expect(bundled.yaml == file.yaml, "\(bundled.name): \(hint)")
        }
    }

    @Test func theExpectedScenariosAreBundled() {
        let required = [
            "accept-all", "exchange-2003", "xexch50-withheld-ack", "xexch50-blob-swallowed", "xexch50-not-authorized",
            "close-after-354", "reset-mid-data", "no-ack-after-dot", "greylist", "tarpit", "greeting-421",
            "greeting-554", "pix-mailguard", "asa-esmtp-inspect", "mixed-recipients", "strict-pipelining",
            "rate-limited", "chaos", "mailbox-full", "exam", "lmtp-mailbox-full",
        ]
        let names = Set(ScenarioLoader.bundledNames)
        for name in required {
            #expect(names.contains(name), "missing bundled scenario \(name)")
        }
        #expect(ScenarioLoader.bundledNames == ScenarioLoader.bundledNames.sorted())
    }

    @Test(arguments: BundledScenarios.all.map(\.name))
    func everyBundledScenarioLoadsWithASummary(name: String) throws {
        let scenario = try ScenarioLoader.resolve(name)
        #expect(scenario.name == name)
        #expect(!(scenario.summary ?? "").isEmpty)
        for rule in scenario.rules {
            #expect(rule.location.hasPrefix("\(name).yaml:"))
        }
    }

    /// The table "What the bundled scenarios expect" in Scenarios/README.md, as (name, expectations).
    private static func documentedExpectations() throws -> [String: ScenarioExpectations] {
        let readme = try String(
            contentsOf: scenariosDirectory.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "### What the bundled scenarios expect").last)
            .components(separatedBy: "\n### ")[0]
        var documented: [String: ScenarioExpectations] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let (key, value) = try #require(cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                .split(separator: ": ").map(String.init).splitPair())
            var expectations = ScenarioExpectations()
            let minutes = ["60m": 60, "10m": 10, "5m": 5]
            switch key {
            case "tls": expectations.tlsRequired = value == "required"
            case "retry-within": expectations.retryWithinMilliseconds = try #require(minutes[value]) * 60_000
            case "patience": expectations.patienceMilliseconds = try #require(minutes[value]) * 60_000
            default: Issue.record("\(name): unknown expect key \(key) in Scenarios/README.md")
            }
            documented[name] = expectations
        }
        return documented
    }

    @Test func eachBundledScenarioExpectsWhatTheREADMESays() throws {
        let documented = try Self.documentedExpectations()
        #expect(documented.count >= 10)
        #expect(Set(documented.keys).isSubset(of: Set(ScenarioLoader.bundledNames)))
        for name in ScenarioLoader.bundledNames {
            let scenario = try ScenarioLoader.resolve(name)
            #expect(scenario.expect == (documented[name] ?? ScenarioExpectations()), "\(name)")
        }
        // The personas that test a sender behaviour say what a good sender does.
        for name in ["greylist", "exam", "greeting-421", "no-ack-after-dot", "xexch50-withheld-ack", "asa-esmtp-inspect"] {
            #expect(documented[name] != nil, "\(name) has no expectations")
        }
    }

    @Test func resolveFindsBundledNamesWithOrWithoutTheExtension() throws {
        #expect(try ScenarioLoader.resolve("greylist") == (try ScenarioLoader.resolve("greylist.yaml")))
        #expect(try ScenarioLoader.resolve("default") == Scenario.defaultPersona)
    }

    @Test func exchange2003AdvertisesItsEHLOListVerbatim() throws {
        let scenario = try ScenarioLoader.resolve("exchange-2003")
        #expect(scenario.host.extensions == [
            "TURN", "SIZE", "ETRN", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "8bitmime", "BINARYMIME",
            "CHUNKING", "VRFY", "X-EXPS GSSAPI NTLM LOGIN", "X-EXPS=LOGIN", "AUTH GSSAPI NTLM LOGIN", "AUTH=LOGIN",
            "X-LINK2STATE", "XEXCH50", "OK",
        ])
        #expect(scenario.host.greeting.code == 220)
        #expect(scenario.host.greeting.lines[0].hasPrefix(
            "exchange2003.remote.test Microsoft ESMTP MAIL Service, Version: 6.0.3790.3959 ready at  "
        ))
        #expect(scenario.rules.isEmpty)
    }

    @Test func xexch50ScenariosReproduceTheirFailure() throws {
        let withheld = ScenarioEngine(scenario: try ScenarioLoader.resolve("xexch50-withheld-ack"))
        #expect(withheld.match(RuleEventContext(event: "xexch50.blob", arguments: Array(ascii: "1124 2")))?
            .effectiveActions == [.withhold])

        let swallowed = try ScenarioLoader.resolve("xexch50-blob-swallowed")
        #expect(swallowed.firewall?.swallowAfter == "XEXCH50")

        let refused = ScenarioEngine(scenario: try ScenarioLoader.resolve("xexch50-not-authorized"))
        let reply = refused.match(RuleEventContext(event: "xexch50", arguments: Array(ascii: "1124 2")))?.actions
        guard case let .reply(refusal)? = reply?.first else {
            Issue.record("xexch50-not-authorized should reply to XEXCH50")
            return
        }
        #expect(refusal.encoded(enhancedStatusCodes: true) == Array(ascii: "504 Need to authenticate first \r\n"))
    }

    @Test func greylistRefusesAnEarlyRetryAndAcceptsOneAfterTheDelay() throws {
        let now = Mutex<Int64>(0)
        let engine = ScenarioEngine(
            scenario: try ScenarioLoader.resolve("greylist"), clock: ScenarioClock { now.withLock { $0 } })
        let attempt = RuleEventContext(event: "rcpt", arguments: Array(ascii: "TO:<a@b>"), sender: Array(ascii: "s@c"))
        _ = engine.beginSession()
        #expect(engine.match(attempt) != nil)
        _ = engine.beginSession()
        now.withLock { $0 = 299_000 }
        #expect(engine.match(attempt) != nil)
        _ = engine.beginSession()
        now.withLock { $0 = 300_000 }
        #expect(engine.match(attempt) == nil)
    }

    @Test func mixedRecipientsSortsRecipientsByLocalPart() throws {
        let engine = ScenarioEngine(scenario: try ScenarioLoader.resolve("mixed-recipients"))
        func code(_ arguments: String) -> Int? {
            let context = RuleEventContext(event: "rcpt", arguments: Array(ascii: arguments))
            guard case let .reply(reply)? = engine.match(context)?.actions.first else { return nil }
            return reply.code
        }
        #expect(code("TO:<bounce@remote.test>") == 550)
        #expect(code("to: <unknown.user@remote.test> NOTIFY=NEVER") == 550)
        #expect(code("TO:<later@remote.test>") == 450)
        #expect(code("TO:<alice@remote.test>") == nil)
        #expect(code("TO:<alice.bounce@remote.test>") == nil)
    }

    @Test func resetMidDataFiresAt4096Bytes() throws {
        let engine = ScenarioEngine(scenario: try ScenarioLoader.resolve("reset-mid-data"))
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 4095)) == nil)
        #expect(engine.match(RuleEventContext(event: "data.bytes", bytes: 4096))?.actions == [.reset])
    }

    @Test func rateLimitedRefusesTheSixthMessageOfAClientWithinAMinute() throws {
        let engine = ScenarioEngine(scenario: try ScenarioLoader.resolve("rate-limited"), clock: ScenarioClock { 0 })
        let matches = (1...6).map { engine.match(RuleEventContext(event: "mail", messageNumber: $0)) }
        #expect(matches.prefix(5).allSatisfy { $0 == nil })
        #expect(matches[5]?.actions == [
            .reply(SMTPReply(code: 421, lines: [
                "4.7.0 mx.rate-limited.test Error: too many messages from this client, try again in 00:01:00",
            ])),
            .close,
        ])
    }

    @Test func greetingRefusalsAreInTheGreeting() throws {
        #expect(try ScenarioLoader.resolve("greeting-421").host.greeting.code == 421)
        #expect(try ScenarioLoader.resolve("greeting-554").host.greeting.code == 554)
    }

    @Test func firewallScenariosUseTheirPersonas() throws {
        #expect(try ScenarioLoader.resolve("pix-mailguard").firewall == FirewallConfiguration(persona: .pixMailguard))
        let asa = try ScenarioLoader.resolve("asa-esmtp-inspect")
        #expect(asa.firewall == FirewallConfiguration(persona: .asaESMTP))
        #expect(asa.host.advertises("STARTTLS"))
    }

    @Test func strictPipeliningDoesNotAdvertisePipelining() throws {
        let scenario = try ScenarioLoader.resolve("strict-pipelining")
        #expect(scenario.host.pipelining == .strict)
        #expect(!scenario.host.advertises("PIPELINING"))
    }

    @Test func chaosIsSeeded() throws {
        let scenario = try ScenarioLoader.resolve("chaos")
        #expect(scenario.seed == 42)
        #expect(scenario.rules.allSatisfy { $0.conditions.chance != nil })
    }
}

extension Array where Element == String {
    /// `[key, value]` as a pair; nil for any other count.
    fileprivate func splitPair() -> (String, String)? {
        count == 2 ? (self[0], self[1]) : nil
    }
}
