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
            "[smtps://]HOST:PORT[=SCENARIO] to listen on (repeatable; smtps:// for implicit TLS). Port 0 picks a "
                + "free port. SCENARIO is a bundled "
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

    @Option(help: "Open SMTP connections allowed at once; beyond it clients get 421 4.7.0.")
    var maxConnections = 20_000

    @Flag(name: .shortAndLong, help: "Print every session transcript line to stderr.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "HOST:PORT for the HTTP control API (messages, sessions, waits, scenario switch, metrics); port 0 "
                + "picks a free port, 'none' serves no API.",
            valueName: "address"))
    var api = "127.0.0.1:8025"

    @Option(
        name: .customLong("api-token"),
        help: ArgumentHelp(
            "Require 'Authorization: Bearer TOKEN' on every API request but /healthz (default: the "
                + "MOCKMX_API_TOKEN environment variable, which keeps it out of the process list).",
            valueName: "token"))
    var apiToken: String?

    func validate() throws {
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
        guard retainMessages > 0, retainSessions > 0 else { throw ValidationError("retention limits must be positive") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard apiToken?.isEmpty != true else { throw ValidationError("--api-token must not be empty") }
    }

    func run() throws {
        var listeners: [ListenerConfiguration] = []
        for argument in listen.isEmpty ? ["127.0.0.1:2525"] : listen {
            let (address, scenarioName, implicitTLS) = Serve.split(argument)
            let scenario: Scenario
            do {
                scenario = try scenarioName.map { try ScenarioLoader.resolve($0) } ?? .defaultPersona
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            listeners.append(ListenerConfiguration(address: address, scenario: scenario, implicitTLS: implicitTLS))
        }
        let configuration = HostConfiguration(
            listeners: listeners,
            spoolDirectory: spool,
            messageRetention: retainMessages,
            sessionRetention: retainSessions,
            shutdownGraceMilliseconds: Int(grace * 1000),
            transcriptHandler: verbose ? Serve.printTranscript : nil,
            apiAddress: api == "none" ? nil : api,
            apiToken: apiToken ?? ProcessInfo.processInfo.environment["MOCKMX_API_TOKEN"].flatMap {
                $0.isEmpty ? nil : $0
            },
            maxConnections: maxConnections)

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
        if let readyFile { try Serve.writeReadyFile(readyFile, bound: bound, api: host.api) }
        for listener in bound {
            print("mockmx: listening on \(listener.implicitTLS ? "smtps://" : "")\(listener.name) (scenario \(listener.scenario))")
            if let fingerprint = listener.tlsFingerprint {
                print("mockmx:   TLS certificate SHA-256 \(fingerprint)")
            }
        }
        if let api = host.api { print("mockmx: control API on \(api.url)") }
        if let spool { print("mockmx: spooling messages to \(spool)") }
        fflush(nil)
        host.waitUntilStopped()
        print("mockmx: stopped after \(host.sessions.totalStarted) session(s), \(host.messages.totalAccepted) message(s)")
    }

    /// `smtps://127.0.0.1:465=greylist` → address, scenario, implicit TLS. The address may hold colons (IPv6).
    static func split(_ argument: String) -> (address: String, scenario: String?, implicitTLS: Bool) {
        var text = Substring(argument)
        let implicitTLS = text.hasPrefix("smtps://")
        if implicitTLS { text = text.dropFirst("smtps://".count) } else if text.hasPrefix("smtp://") {
            text = text.dropFirst("smtp://".count)
        }
        guard let equals = text.firstIndex(of: "=") else { return (String(text), nil, implicitTLS) }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]), implicitTLS)
    }

    static func writeReadyFile(_ path: String, bound: [BoundListener], api: BoundAddress? = nil) throws {
        let document: [String: Any] = [
            "pid": Int(getpid()),
            "smtp": bound.map { listener -> [String: Any] in
                [
                    "host": listener.host, "port": listener.port, "address": listener.name,
                    "scenario": listener.scenario, "implicitTLS": listener.implicitTLS,
                    "tlsFingerprint": listener.tlsFingerprint as Any? ?? NSNull(),
                    "tlsAuthority": listener.tlsAuthority as Any? ?? NSNull(),
                ]
            },
            "api": api.map { ["host": $0.host, "port": $0.port, "address": $0.name] } as Any? ?? NSNull(),
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
