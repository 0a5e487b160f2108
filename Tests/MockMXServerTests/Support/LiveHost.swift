import Foundation
import MockMXScenario
import MockMXServer

/// A host on 127.0.0.1:0 for one test, shut down when the test's scope ends.
final class LiveHost: Sendable {
    let host: MockMXHost
    let port: Int
    /// The PEM file of the CA that signed the listener's certificate (nil without TLS).
    let tlsAuthority: String?

    init(
        scenario: Scenario = .defaultPersona, spool: String? = nil,
        address: String = "127.0.0.1:0", implicitTLS: Bool = false, lmtp: Bool = false, clock: TestClock? = nil,
        clockScale: Double = 1
    ) throws {
        var configuration = HostConfiguration(
            listeners: [
                ListenerConfiguration(address: address, scenario: scenario, implicitTLS: implicitTLS, lmtp: lmtp),
            ],
            spoolDirectory: spool, shutdownGraceMilliseconds: 1_000)
        configuration.clockScale = clockScale
        if let clock { configuration.realClock = { clock.milliseconds } }
        host = try MockMXHost(configuration)
        let bound = try host.start()[0]
        port = bound.port
        tlsAuthority = bound.tlsAuthority
    }

    convenience init(yaml: String, implicitTLS: Bool = false) throws {
        try self.init(scenario: ScenarioLoader.load(yaml: yaml, file: "test.yaml"), implicitTLS: implicitTLS)
    }

    deinit { host.shutdown(graceMilliseconds: 0) }

    var messages: [StoredMessage] { host.messages.all }

    func waitForMessages(_ count: Int) async -> Bool {
        await host.messages.wait(forTotal: count, timeout: .seconds(10))
    }

    func waitForEndedSessions(_ count: Int) async -> Bool {
        await host.sessions.wait(forEnded: count, timeout: .seconds(10))
    }
}

/// Runs a real client program and returns its exit status and output.
struct ExternalClient {
    struct Result {
        var status: Int32
        var output: String
    }

    static func available(_ name: String) -> Bool {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    static func run(_ arguments: [String], input: String? = nil, timeout: Double = 30) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["timeout", String(Int(timeout))] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

/// The `mockmx` executable built next to the test bundle.
enum BuiltProducts {
    static var mockmx: String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The test runner lives inside `<name>.xctest` on some layouts.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("mockmx").path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("mockmx").path
    }
}

func residentMemoryBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
    return 0
}
