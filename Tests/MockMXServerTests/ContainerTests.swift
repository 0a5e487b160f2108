import Foundation
import Testing

/// `mockmx` run the way a container runs it: configured by `MOCKMX_*` variables alone, probed by
/// `mockmx health`, logging JSON, stopped by SIGTERM. (scripts/container-check repeats the essentials with
/// the static release build the image ships.)
@Suite struct ContainerTests {
    typealias ServeProcess = CommandLineTests.ServeProcess

    /// Only what a container would have: a PATH, and whatever the test adds. Nothing inherited can leak in.
    private func environment(_ variables: [String: String]) -> [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(variables) { $1 }
    }

    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-\(name)").path
    }

    /// Runs `mockmx ARGUMENTS` to its end with exactly `variables` in its environment.
    private func mockmx(
        _ arguments: [String], _ variables: [String: String]
    ) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.mockmx)
        process.arguments = arguments
        process.environment = environment(variables)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData, as: UTF8.self)
        )
    }

    private struct ReadyFile {
        var smtpPorts: [Int]
        var apiAddress: String?

        init(_ path: String) throws {
            let document = try #require(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let smtp = try #require(document["smtp"] as? [[String: Any]])
            smtpPorts = smtp.compactMap { $0["port"] as? Int }
            apiAddress = (document["api"] as? [String: Any])?["address"] as? String
        }
    }

    private func deliver(to port: Int, body: String = "hello") throws {
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        try client.send("Subject: t\r\n\r\n\(body)\r\n.\r\nQUIT\r\n")
        #expect(try client.replyLine().hasPrefix("250"))
        #expect(try client.replyLine().hasPrefix("221"))
    }

    @Test func theEnvironmentAloneConfiguresServeAndHealthFindsItThroughTheSameVariables() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        defer {
            try? FileManager.default.removeItem(atPath: ready)
            try? FileManager.default.removeItem(atPath: spool)
        }
        let variables = [
            "MOCKMX_LISTEN": "127.0.0.1:0, 127.0.0.1:0=greylist", "MOCKMX_API": "127.0.0.1:0",
            "MOCKMX_READY_FILE": ready, "MOCKMX_SPOOL": spool,
        ]
        let serve = try ServeProcess([], environment: environment(variables))
        let first = try #require(serve.line())
        let second = try #require(serve.line())
        #expect(first.hasPrefix("mockmx: listening on 127.0.0.1:") && first.hasSuffix("(scenario default)"))
        #expect(second.hasSuffix("(scenario greylist)"))
        let bound = try ReadyFile(ready)
        #expect(bound.smtpPorts.count == 2)
        #expect(bound.apiAddress?.hasPrefix("127.0.0.1:") == true)

        // Port 0 in MOCKMX_API: health reads the bound port from MOCKMX_READY_FILE, as in the container.
        let health = try mockmx(["health"], variables)
        #expect(health.status == 0, "\(health.errors)")
        #expect(health.output.contains("ok, 2 SMTP listener(s)"))
        let explicit = try mockmx(["health"], ["MOCKMX_API": try #require(bound.apiAddress)])
        #expect(explicit.status == 0, "\(explicit.errors)")

        try deliver(to: bound.smtpPorts[0])
        let (status, rest, _) = serve.terminate()
        #expect(status == 0)
        #expect(rest.contains("stopped after 1 session(s), 1 message(s)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0 != "sessions" }.count == 2)
    }

    @Test func anUnknownVariableStopsServeAndNamesIt() throws {
        let result = try mockmx(["serve"], ["MOCKMX_LISTN": "127.0.0.1:0", "MOCKMX_API": "none"])
        #expect(result.status != 0)
        #expect(result.errors.contains("MOCKMX_LISTN: unknown environment variable; did you mean MOCKMX_LISTEN?"))
        #expect(!result.output.contains("listening"))
    }

    @Test func aBadValueStopsServeAndNamesItsVariable() throws {
        let result = try mockmx(
            ["serve", "--listen", "127.0.0.1:0", "--api", "none"], ["MOCKMX_MAX_CONNECTIONS": "many"])
        #expect(result.status != 0)
        #expect(result.errors.contains("MOCKMX_MAX_CONNECTIONS: expected a whole number above 0, found 'many'"))
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let ready = temporaryPath("ready.json")
        defer { try? FileManager.default.removeItem(atPath: ready) }
        // Every variable here would fail or differ: an address that does not parse, JSON logs, a ready file
        // elsewhere.
        let serve = try ServeProcess(
            ["--listen", "127.0.0.1:0", "--api", "none", "--log-format", "text", "--ready-file", ready],
            environment: environment([
                "MOCKMX_LISTEN": "nowhere=greylist", "MOCKMX_API": "nowhere", "MOCKMX_LOG_FORMAT": "json",
                "MOCKMX_READY_FILE": temporaryPath("unused.json"),
            ]))
        let first = try #require(serve.line())
        #expect(first.hasPrefix("mockmx: listening on 127.0.0.1:") && first.hasSuffix("(scenario default)"))
        #expect(try ReadyFile(ready).apiAddress == nil)
        #expect(serve.terminate().status == 0)
    }

    @Test func healthFailsWithOneLineWhenNothingListens() throws {
        let result = try mockmx(["health", "--api", "127.0.0.1:\(try freePort())"], [:])
        #expect(result.status == 1)
        #expect(result.errors.hasPrefix("mockmx health: http://127.0.0.1:"))
        #expect(result.errors.hasSuffix("Connection refused\n"))
        #expect(result.errors.split(separator: "\n").count == 1)

        let off = try mockmx(["health"], ["MOCKMX_API": "none"])
        #expect(off.status == 1 && off.errors.contains("switched off"))
        let typo = try mockmx(["health"], ["MOCKMX_APII": "127.0.0.1:1"])
        #expect(typo.status == 1 && typo.errors.contains("did you mean MOCKMX_API?"))
    }

    @Test func healthSendsTheTokenAndPassesOnAGuardedAPI() throws {
        let ready = temporaryPath("ready.json")
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let variables = [
            "MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_API": "127.0.0.1:0", "MOCKMX_READY_FILE": ready,
            "MOCKMX_API_TOKEN": "s3cret",
        ]
        let serve = try ServeProcess([], environment: environment(variables))
        _ = try #require(serve.line())
        let health = try mockmx(["health"], variables)
        #expect(health.status == 0, "\(health.errors)")
        #expect(serve.terminate().status == 0)
    }

    @Test func jsonLogsAreOneObjectPerLineWithTheWholeTranscript() throws {
        let serve = try ServeProcess(
            ["--api", "none"], environment: environment(["MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_LOG_FORMAT": "json"]))
        let first = try #require(serve.line())
        let listening = try #require(
            JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(listening["event"] as? String == "listening")
        #expect(listening["scenario"] as? String == "default")
        let port = try #require(listening["port"] as? Int)
        try deliver(to: port)
        let (status, rest, errors) = serve.terminate()
        #expect(status == 0)
        #expect(errors.isEmpty)
        let objects = try rest.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
        let transcript = objects.filter { $0["event"] as? String == "transcript" }
        #expect(transcript.allSatisfy { $0["session"] is String && $0["time"] is String && $0["listener"] is String })
        #expect(transcript.contains { $0["direction"] as? String == "client" && $0["text"] as? String == "HELO c" })
        let queued = try #require(transcript.first { ($0["text"] as? String)?.hasPrefix("250 2.0.0") == true })
        #expect(queued["code"] as? Int == 250 && queued["direction"] as? String == "server")
        let stopped = try #require(objects.last)
        #expect(stopped["event"] as? String == "stopped" && stopped["messages"] as? Int == 1)
    }

    /// The replies to 24 RCPTs on a host that refuses each with probability 1/2, from the scenario's seed.
    private func coinFlips(fileSeed: Int, seedVariable: String?) throws -> [String] {
        let scenario = temporaryPath("coin.yaml")
        let ready = temporaryPath("ready.json")
        defer {
            try? FileManager.default.removeItem(atPath: scenario)
            try? FileManager.default.removeItem(atPath: ready)
        }
        try """
            seed: \(fileSeed)
            rules:
              - on: rcpt
                when: {chance: 0.5}
                do: {reply: "450 4.2.0 coin"}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        var variables = ["MOCKMX_LISTEN": "127.0.0.1:0=\(scenario)", "MOCKMX_API": "none", "MOCKMX_READY_FILE": ready]
        variables["MOCKMX_SEED"] = seedVariable
        let serve = try ServeProcess([], environment: environment(variables))
        _ = try #require(serve.line())
        let client = try RawClient(port: try #require(try ReadyFile(ready).smtpPorts.first))
        _ = try client.reply()
        try client.send("HELO c\r\nMAIL FROM:<a@b.example>\r\n")
        _ = try client.reply()
        _ = try client.reply()
        var replies: [String] = []
        for number in 0..<24 {
            try client.send("RCPT TO:<r\(number)@d.example>\r\n")
            replies.append(String(try client.replyLine().prefix(3)))
        }
        #expect(serve.terminate().status == 0)
        return replies
    }

    @Test func theSeedVariableReplacesTheScenariosSeed() throws {
        let fromFile = try coinFlips(fileSeed: 7, seedVariable: nil)
        #expect(Set(fromFile) == ["250", "450"])
        #expect(try coinFlips(fileSeed: 3, seedVariable: "7") == fromFile)
        #expect(try coinFlips(fileSeed: 3, seedVariable: nil) != fromFile)
    }

    @Test func sigtermMidDataLetsTheMessageFinishThenSays421AndExitsZero() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        defer {
            try? FileManager.default.removeItem(atPath: ready)
            try? FileManager.default.removeItem(atPath: spool)
        }
        let serve = try ServeProcess(
            [], environment: environment([
                "MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_API": "none", "MOCKMX_READY_FILE": ready, "MOCKMX_SPOOL": spool,
            ]))
        _ = try #require(serve.line())
        let port = try #require(try ReadyFile(ready).smtpPorts.first)

        let sending = try RawClient(port: port)
        _ = try sending.reply()
        try sending.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try sending.reply() }
        #expect(try sending.replyLine().hasPrefix("354"))
        try sending.send("Subject: in flight\r\n\r\nfirst half\r\n")
        // Between commands: told at once, which is also the sign that the signal has been handled.
        let idle = try RawClient(port: port)
        _ = try idle.reply()
        try idle.send("EHLO idle\r\n")
        _ = try idle.reply()

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try idle.replyLine().hasPrefix("421 4.3.2"))
        try sending.send("second half\r\n.\r\n")
        #expect(try sending.replyLine().hasPrefix("250 2.0.0"))
        #expect(try sending.replyLine().hasPrefix("421 4.3.2"))
        #expect(sending.ending().0 == .fin)

        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0 != "sessions" }.sorted()
        #expect(files.count == 2)
        let content = try String(contentsOfFile: "\(spool)/\(files[0])", encoding: .utf8)
        #expect(files[0].hasSuffix(".eml") && content.contains("first half\r\nsecond half\r\n"))
    }

    @Test func commandsPipelinedAfterTheDotDuringShutdownStartNoNewTransaction() throws {
        let ready = temporaryPath("ready.json")
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let serve = try ServeProcess(
            [], environment: environment([
                "MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_API": "none", "MOCKMX_READY_FILE": ready, "MOCKMX_GRACE": "1",
            ]))
        _ = try #require(serve.line())
        let port = try #require(try ReadyFile(ready).smtpPorts.first)
        let sending = try RawClient(port: port)
        _ = try sending.reply()
        try sending.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try sending.reply() }
        #expect(try sending.replyLine().hasPrefix("354"))
        let idle = try RawClient(port: port)
        _ = try idle.reply()
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try idle.replyLine().hasPrefix("421 4.3.2"))

        try sending.send("body\r\n.\r\nMAIL FROM:<next@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        #expect(try sending.replyLine().hasPrefix("250 2.0.0"))
        let next = try sending.replyLine()
        #expect(next.hasPrefix("421 4.3.2"))
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
    }

    @Test func dataUnfinishedWhenTheGraceEndsGets421AndIsNotKept() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        defer {
            try? FileManager.default.removeItem(atPath: ready)
            try? FileManager.default.removeItem(atPath: spool)
        }
        let serve = try ServeProcess(
            [], environment: environment([
                "MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_API": "none", "MOCKMX_READY_FILE": ready,
                "MOCKMX_SPOOL": spool, "MOCKMX_GRACE": "0.2",
            ]))
        _ = try #require(serve.line())
        let port = try #require(try ReadyFile(ready).smtpPorts.first)
        let sending = try RawClient(port: port)
        _ = try sending.reply()
        try sending.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try sending.reply() }
        #expect(try sending.replyLine().hasPrefix("354"))
        try sending.send("never finished\r\n")

        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try sending.replyLine().hasPrefix("421 4.3.2"))
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0 != "sessions" }.isEmpty)
    }

    @Test func aSecondSignalExitsAtOnce() throws {
        let ready = temporaryPath("ready.json")
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let serve = try ServeProcess(
            [], environment: environment([
                "MOCKMX_LISTEN": "127.0.0.1:0", "MOCKMX_API": "none", "MOCKMX_READY_FILE": ready,
                "MOCKMX_GRACE": "600",
            ]))
        _ = try #require(serve.line())
        let port = try #require(try ReadyFile(ready).smtpPorts.first)
        let sending = try RawClient(port: port)
        _ = try sending.reply()
        try sending.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try sending.reply() }
        #expect(try sending.replyLine().hasPrefix("354"))
        let idle = try RawClient(port: port)
        _ = try idle.reply()
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try idle.replyLine().hasPrefix("421 4.3.2"))
        let started = ContinuousClock.now
        kill(serve.process.processIdentifier, SIGTERM)
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 128 + SIGTERM)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// A loopback port nobody listens on: bound, read back, closed.
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
            }
        }
        try #require(result == 0)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
