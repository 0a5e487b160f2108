import ArgumentParser
import Foundation
import MockMXCommandLine
import MockMXTranscripts
import MockMXScenario
import MockMXServer

/// A proxy without rules in front of a real host; when it stops, the sessions it saw become a scenario
/// that plays the host's persona without it.
struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Proxy a real host and write a scenario reproducing its dialogue when the sessions end.",
        discussion: "Send mail through the listener as usual; on SIGINT/SIGTERM (or after --sessions N) the "
            + "upstream's greeting, hostname, EHLO list, replies and median delays are written to --out. Replay "
            + "it with serve --listen ADDRESS=FILE.")

    @Option(help: ArgumentHelp("HOST:PORT of the host to record.", valueName: "address"))
    var upstream: String

    @Option(help: ArgumentHelp("Where to write the scenario (YAML).", valueName: "path"))
    var out: String

    @Option(help: ArgumentHelp("HOST:PORT to listen on (port 0 picks one). Default 127.0.0.1:2525.", valueName: "address"))
    var listen = "127.0.0.1:2525"

    @Option(help: ArgumentHelp("Stop once this many sessions have ended.", valueName: "count"))
    var sessions: Int?

    @Option(
        name: .customLong("ready-file"),
        help: ArgumentHelp("Write the bound address as JSON to PATH once listening.", valueName: "path"))
    var readyFile: String?

    func validate() throws {
        guard let address = HostPort(upstream), address.port != 0 else {
            throw ValidationError("--upstream: expected HOST:PORT or [IPV6]:PORT of the host to record, found '\(upstream)'")
        }
        if let sessions, sessions < 1 { throw ValidationError("--sessions: must be a whole number above 0") }
    }

    func run() throws {
        let address = HostPort(upstream)!
        let scenario = Scenario(name: "record", upstream: UpstreamSettings(address: address))
        let host: MockMXHost
        let bound: [BoundListener]
        do {
            host = try MockMXHost(HostConfiguration(listeners: [ListenerConfiguration(address: listen, scenario: scenario)]))
            host.shutdownOnSignals()
            bound = try host.start()
        } catch {
            throw ValidationError("\(error)")
        }
        if let readyFile { try Serve.writeReadyFile(readyFile, bound: bound) }
        print("mockmx record: listening on \(bound[0].name), recording \(address)")
        if let sessions {
            Thread.detachNewThread {
                let ended = DispatchSemaphore(value: 0)
                Task {
                    _ = await host.sessions.wait(forEnded: sessions, timeout: .seconds(365 * 86_400))
                    ended.signal()
                }
                ended.wait()
                host.shutdown(graceMilliseconds: 0)
            }
        }
        host.waitUntilStopped()
        let recorded = host.sessions.all.map { record in
            record.transcript.map { ScenarioRecorder.Entry(direction: $0.direction.rawValue, text: $0.text, time: $0.time) }
        }
        guard let yaml = ScenarioRecorder.scenario(from: recorded, upstream: address.description) else {
            FileHandle.standardError.write(Data("mockmx record: no session reached the upstream's greeting; nothing written\n".utf8))
            throw ExitCode(1)
        }
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        print("mockmx record: wrote \(out) from \(recorded.count) session(s)")
    }
}
