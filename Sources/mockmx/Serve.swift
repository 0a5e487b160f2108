import ArgumentParser
import Foundation
import MockMXScenario
import MockMXServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the host: SMTP listeners, each playing its scenario.")

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "HOST:PORT[=SCENARIO] to listen on (repeatable). Port 0 picks a free port. SCENARIO is a bundled "
                + "name or a YAML file; without it the default persona answers.",
            valueName: "address"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Also write every accepted message to DIR (<id>.eml + <id>.json).", valueName: "dir"))
    var spool: String?

    @Option(
        name: .customLong("ready-file"),
        help: ArgumentHelp("Write the bound addresses as JSON to PATH once listening.", valueName: "path"))
    var readyFile: String?

    @Option(help: ArgumentHelp("Seconds open sessions get to finish on SIGTERM before 421.", valueName: "seconds"))
    var grace: Double = 5

    @Option(help: "Messages kept in memory (oldest dropped first).")
    var retainMessages = 10_000

    @Option(help: "Sessions with transcripts kept in memory (oldest dropped first).")
    var retainSessions = 10_000

    @Flag(name: .shortAndLong, help: "Print every session transcript line to stderr.")
    var verbose = false

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
        guard retainMessages > 0, retainSessions > 0 else { throw ValidationError("retention limits must be positive") }
    }

    func run() throws {
        var listeners: [ListenerConfiguration] = []
        for argument in listen.isEmpty ? ["127.0.0.1:2525"] : listen {
            let (address, scenarioName) = Serve.split(argument)
            let scenario: Scenario
            do {
                scenario = try scenarioName.map { try ScenarioLoader.resolve($0) } ?? .defaultPersona
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            listeners.append(ListenerConfiguration(address: address, scenario: scenario))
        }
        let configuration = HostConfiguration(
            listeners: listeners,
            spoolDirectory: spool,
            messageRetention: retainMessages,
            sessionRetention: retainSessions,
            shutdownGraceMilliseconds: Int(grace * 1000),
            transcriptHandler: verbose ? Serve.printTranscript : nil)

        let host: MockMXHost
        let bound: [BoundListener]
        do {
            host = try MockMXHost(configuration)
            host.shutdownOnSignals()
            bound = try host.start()
        } catch {
            throw ValidationError("\(error)")
        }
        // The ready file first: whoever reads the listening lines may go straight for it.
        if let readyFile { try Serve.writeReadyFile(readyFile, bound: bound) }
        for listener in bound {
            print("mockmx: listening on \(listener.name) (scenario \(listener.scenario))")
        }
        if let spool { print("mockmx: spooling messages to \(spool)") }
        fflush(nil)
        host.waitUntilStopped()
        print("mockmx: stopped after \(host.sessions.totalStarted) session(s), \(host.messages.totalAccepted) message(s)")
    }

    /// `127.0.0.1:2525=greylist` → address and scenario. The address part may itself hold colons (IPv6).
    static func split(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    static func writeReadyFile(_ path: String, bound: [BoundListener]) throws {
        let document: [String: Any] = [
            "pid": Int(getpid()),
            "smtp": bound.map { ["host": $0.host, "port": $0.port, "address": $0.name, "scenario": $0.scenario] },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
        // Written whole then renamed, so a watcher never reads half a file.
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    @Sendable static func printTranscript(_ session: SessionRecord, _ entry: TranscriptEntry) {
        let arrow: String
        switch entry.direction {
        case .client: arrow = "C:"
        case .hostReceived: arrow = "H<"
        case .server: arrow = "S:"
        case .note: arrow = "--"
        }
        let time = entry.time.formatted(.iso8601.time(includingFractionalSeconds: true))
        FileHandle.standardError.write(Data("\(time) [\(session.id)] \(arrow) \(entry.text)\n".utf8))
    }
}
