import Foundation
import Testing

/// The `mockmx` executable as users and CI scripts run it.
@Suite struct CommandLineTests {
    /// A running `mockmx serve`, its stdout read line by line (the readiness signal).
    final class ServeProcess {
        let process = Process()
        private let output = Pipe()
        private let errors = Pipe()
        private var pending = Data()

        init(_ arguments: [String], environment: [String: String]? = nil) throws {
            process.executableURL = URL(fileURLWithPath: BuiltProducts.mockmx)
            process.arguments = ["serve"] + arguments
            process.standardOutput = output
            process.standardError = errors
            if let environment { process.environment = environment }
            try process.run()
        }

        deinit {
            if process.isRunning {
                process.interrupt()
                process.waitUntilExit()
            }
        }

        /// The next line on stdout (blocks until it is printed); nil at end of output.
        func line() -> String? {
            while true {
                if let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    return line
                }
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { return nil }
                pending += data
            }
        }

        func terminate() -> (status: Int32, rest: String, errors: String) {
            process.terminate()
            let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, rest, errorText)
        }
    }

    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-\(name)").path
    }

    @Test func serveWritesTheReadyFileServesEveryListenerAndStopsOnSigterm() throws {
        let ready = temporaryPath("ready.json")
        let spool = temporaryPath("spool")
        defer {
            try? FileManager.default.removeItem(atPath: ready)
            try? FileManager.default.removeItem(atPath: spool)
        }
        let serve = try ServeProcess([
            "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0=greylist", "--ready-file", ready, "--spool", spool,
            "--api", "127.0.0.1:0",
        ])
        let first = try #require(serve.line())
        let second = try #require(serve.line())
        #expect(first.hasPrefix("mockmx: listening on 127.0.0.1:") && first.hasSuffix("(scenario default)"))
        #expect(second.hasSuffix("(scenario greylist)"))

        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready)))
        let listeners = try #require((document as? [String: Any])?["smtp"] as? [[String: Any]])
        #expect(listeners.count == 2)
        let plainPort = try #require(listeners[0]["port"] as? Int)
        let greylistPort = try #require(listeners[1]["port"] as? Int)
        #expect(listeners[1]["scenario"] as? String == "greylist")

        let accepted = try RawClient(port: plainPort)
        _ = try accepted.reply()
        try accepted.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n")
        for _ in 0..<5 { _ = try accepted.reply() }
        #expect(try accepted.replyLine().hasPrefix("221"))
        let greylisted = try RawClient(port: greylistPort)
        _ = try greylisted.reply()
        try greylisted.send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n")
        _ = try greylisted.reply()
        _ = try greylisted.reply()
        #expect(try greylisted.replyLine().hasPrefix("451 4.7.1"))

        let (status, rest, _) = serve.terminate()
        #expect(status == 0)
        #expect(rest.contains("stopped after 2 session(s), 1 message(s)"))
        #expect(try greylisted.replyLine().hasPrefix("421 4.3.2"))
        let spooled = try FileManager.default.contentsOfDirectory(atPath: spool).sorted()
        #expect(spooled.count == 2 && spooled[0].hasSuffix(".eml") && spooled[1].hasSuffix(".json"))
    }

    @Test func serveRefusesABadAddressAndAnUnknownScenario() throws {
        let badAddress = try ExternalClient.run([BuiltProducts.mockmx, "serve", "--listen", "nowhere"])
        #expect(badAddress.status != 0)
        #expect(badAddress.output.contains("'nowhere' is not an address with a port"))
        let badScenario = try ExternalClient.run([BuiltProducts.mockmx, "serve", "--listen", "127.0.0.1:0=nosuch"])
        #expect(badScenario.status == 1)
        #expect(badScenario.output.contains("nosuch"))
        let badScale = try ExternalClient.run([BuiltProducts.mockmx, "serve", "--clock-scale", "0"])
        #expect(badScale.status == 64)
        #expect(badScale.output.contains("--clock-scale: must be a number above 0"))
    }

    @Test func checkReportsEveryErrorWithItsLocation() throws {
        let file = temporaryPath("broken.yaml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            host:
              hostnme: x
            rules:
              - on: rcpr
                do: withhold
              - on: data
                do: {delay: -2s}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ExternalClient.run([BuiltProducts.mockmx, "check", file, "greylist"])
        #expect(result.status == 1)
        let errors = result.output.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.count == 3, "\(result.output)")
        #expect(errors.allSatisfy { $0.hasPrefix("\(file):") })
        #expect(result.output.contains("\(file):2:3: error: host.hostnme:"))
        #expect(result.output.contains("greylist: ok"))

        let good = try ExternalClient.run([BuiltProducts.mockmx, "check", "exchange-2003"])
        #expect(good.status == 0)
    }

    @Test func scenariosListsTheLibraryWithSummaries() throws {
        let result = try ExternalClient.run([BuiltProducts.mockmx, "scenarios"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count >= 18)
        #expect(lines.contains { $0.hasPrefix("xexch50-withheld-ack") && $0.contains("never acknowledges") })
        // The exam host's domains, as a table after the list.
        #expect(lines.contains { $0.hasPrefix("| greylist.exam.test | 451 4.7.1") })
        #expect(lines.filter { $0.hasPrefix("| ") && $0.contains(".exam.test |") }.count == 9)

        let exam = try ExternalClient.run([BuiltProducts.mockmx, "scenarios", "exam"])
        #expect(exam.status == 0)
        #expect(exam.output.hasPrefix("One host, one behaviour per recipient domain"))
        #expect(!exam.output.contains("# "))
        let unknown = try ExternalClient.run([BuiltProducts.mockmx, "scenarios", "greylst"])
        #expect(unknown.status == 64)
        #expect(unknown.output.contains("no bundled scenario named 'greylst'; bundled: accept-all,"))
    }
}
