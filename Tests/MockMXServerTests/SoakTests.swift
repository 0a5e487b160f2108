import Foundation
import MockMXServer
import Testing

/// Nothing acknowledged is ever lost (issue 8): many concurrent clients, some cut off mid-session, and
/// every `250` after DATA matches a stored message, in memory and in the spool, byte for byte.
@Suite(.serialized) struct SoakTests {
    /// What the clients saw: message id → the content they sent under it.
    final class Acknowledgements: @unchecked Sendable {
        private let lock = NSLock()
        private var contents: [String: [UInt8]] = [:]
        private var duplicates: [String] = []
        private var stopped = false
        private(set) var failures: [String] = []

        /// No client starts another session after this.
        func stop() {
            lock.lock()
            stopped = true
            lock.unlock()
        }

        var isStopped: Bool {
            lock.lock()
            defer { lock.unlock() }
            return stopped
        }

        func acknowledged(_ id: String, content: [UInt8]) {
            lock.lock()
            if contents.updateValue(content, forKey: id) != nil { duplicates.append(id) }
            lock.unlock()
        }

        func failed(_ description: String) {
            lock.lock()
            failures.append(description)
            lock.unlock()
        }

        var snapshot: (contents: [String: [UInt8]], duplicates: [String], failures: [String]) {
            lock.lock()
            defer { lock.unlock() }
            return (contents, duplicates, failures)
        }
    }

    /// Where a client is cut off. Never between the dot and its reply: there the host may rightly have
    /// kept a message whose `250` the client never read.
    enum Cut {
        case none, midCommand, after354, midContent
    }

    private static func spoolDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-soak-\(UUID())").path
    }

    /// One client's sessions: `messages` messages, a few per session, every `cutEvery`-th session cut off.
    /// A greeting without `hostname` means another host got the port: the client stops without sending.
    private static func client(
        number: Int, port: Int, messages: Int, cutEvery: Int, into seen: Acknowledgements,
        hostname: String = "mockmx.test", stopOnFailure: Bool = false
    ) {
        var sent = 0
        var session = 0
        while sent < messages, !seen.isStopped {
            session += 1
            let cut = session % cutEvery == 0 ? [Cut.midCommand, .after354, .midContent].randomElement()! : .none
            do {
                let client = try RawClient(port: port, timeout: 30)
                let greeting = try client.replyLine()
                guard greeting.hasPrefix("220 \(hostname) ") else { throw RawClient.Failure(description: greeting) }
                try client.send("EHLO client\(number).example\r\n")
                _ = try client.reply()
                for _ in 0..<Int.random(in: 1...4) where sent < messages {
                    if cut == .midCommand {
                        try client.send("MAIL FROM:<client\(number)@exam")
                        break
                    }
                    try client.send(
                        "MAIL FROM:<client\(number)@example.com>\r\nRCPT TO:<r\(sent)@example.org>\r\nDATA\r\n")
                    let codes = try (0..<3).map { _ in try client.replyLine().prefix(3) }
                    guard codes == ["250", "250", "354"] else { throw RawClient.Failure(description: "\(codes)") }
                    if cut == .after354 { break }
                    let header = "Subject: \(number)/\(sent)\r\n\r\n"
                    let body = ".leading dot\r\n\(UUID())\r\n"
                    let content = Array((header + body).utf8)
                    let stuffed = Array((header + "." + body).utf8)
                    if cut == .midContent {
                        try client.send(Array(stuffed.prefix(stuffed.count / 2)))
                        break
                    }
                    try client.send(stuffed + Array(".\r\n".utf8))
                    let reply = try client.replyLine()
                    guard reply.hasPrefix("250 2.0.0 Ok: queued as ") else {
                        throw RawClient.Failure(description: "end of data: \(reply)")
                    }
                    seen.acknowledged(String(reply.split(separator: " ").last!), content: content)
                    sent += 1
                }
                if cut == .none {
                    try client.send("QUIT\r\n")
                    _ = try client.replyLine()
                } else {
                    sent += 1  // a cut session counts towards the client's share, so every client ends
                }
            } catch {
                seen.failed("client \(number) session \(session): \(error)")
                if stopOnFailure { return }
            }
        }
    }

    private static func runClients(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for number in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(number)
                group.leave()
            }
        }
        group.wait()
    }

    /// Message ids in the spool: every `.json` and every `.eml`, and anything else found there.
    private static func spoolContents(
        _ directory: String
    ) throws -> (json: Set<String>, eml: Set<String>, other: [String]) {
        var json = Set<String>()
        var eml = Set<String>()
        var other: [String] = []
        // `sessions/` holds the ended sessions (`mockmx verdicts` reads them), not messages.
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != "sessions" {
            if name.hasSuffix(".json") {
                json.insert(String(name.dropLast(5)))
            } else if name.hasSuffix(".eml") {
                eml.insert(String(name.dropLast(4)))
            } else {
                other.append(name)
            }
        }
        return (json, eml, other)
    }

    /// 2,000 messages from 20 concurrent clients, every fifth session cut off at some point before its dot.
    @Test func everyAcknowledgedMessageIsStoredAndSpooled() async throws {
        let spool = Self.spoolDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let live = try LiveHost(spool: spool)
        let seen = Acknowledgements()
        let port = live.port
        Self.runClients(20) { number in
            Self.client(number: number, port: port, messages: 100, cutEvery: 5, into: seen)
        }
        let (contents, duplicates, failures) = seen.snapshot
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(duplicates.isEmpty, "ids acknowledged twice: \(duplicates.prefix(5))")
        #expect(contents.count > 1_500, "only \(contents.count) messages acknowledged")

        let stored = live.messages
        #expect(live.host.messages.totalAccepted == contents.count)
        #expect(Set(stored.map(\.id)) == Set(contents.keys))
        for message in stored where contents[message.id] != message.content {
            Issue.record("message \(message.id) stored with other content than acknowledged")
        }
        let files = try Self.spoolContents(spool)
        #expect(files.json == Set(contents.keys))
        #expect(files.eml == Set(contents.keys))
        #expect(files.other.isEmpty, "stray files in the spool: \(files.other.prefix(5))")
        for (id, content) in contents.prefix(200) {
            let spooled = FileManager.default.contents(atPath: "\(spool)/\(id).eml").map { [UInt8]($0) }
            #expect(spooled == content, "\(id).eml")
        }
    }

    /// `mockmx serve` gets SIGTERM while 10 clients are sending: it finishes what is in flight within its grace
    /// period, exits 0, and leaves a spool where every `.json` has its `.eml` and every `250` a message.
    @Test func sigtermMidSoakLeavesAConsistentSpool() throws {
        let spool = Self.spoolDirectory()
        let ready = spool + "-ready.json"
        let scenario = spool + "-scenario.yaml"
        defer {
            for path in [spool, ready, scenario] { try? FileManager.default.removeItem(atPath: path) }
        }
        // A name of its own: once the process is gone, its port may go to another test's host.
        let hostname = "soak-\(UInt32.random(in: 0...UInt32.max)).test"
        try "host: {hostname: \(hostname)}\n".write(toFile: scenario, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.mockmx)
        process.arguments = [
            "serve", "--listen", "127.0.0.1:0=\(scenario)", "--spool", spool, "--ready-file", ready, "--grace", "2",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.interrupt() } }

        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: ready), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready)))
        let port = try #require(((document as? [String: Any])?["smtp"] as? [[String: Any]])?.first?["port"] as? Int)

        let seen = Acknowledgements()
        let clientsDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Self.runClients(10) { number in
                // Endless until the host goes away: the first failure after SIGTERM ends the client.
                Self.client(
                    number: number, port: port, messages: .max, cutEvery: 7, into: seen, hostname: hostname,
                    stopOnFailure: true)
            }
            clientsDone.signal()
        }
        while seen.snapshot.contents.count < 300, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(process.processIdentifier, SIGTERM)
        seen.stop()
        process.waitUntilExit()
        #expect(clientsDone.wait(timeout: .now() + 30) == .success, "the clients did not notice the host had gone")

        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let (contents, duplicates, _) = seen.snapshot
        #expect(contents.count >= 300)
        #expect(duplicates.isEmpty)
        let files = try Self.spoolContents(spool)
        #expect(files.json == files.eml, "envelopes without content or content without envelope")
        #expect(files.json == Set(contents.keys), "spooled \(files.json.count), acknowledged \(contents.count)")
        #expect(files.other.isEmpty, "stray files in the spool: \(files.other.prefix(5))")
    }
}
