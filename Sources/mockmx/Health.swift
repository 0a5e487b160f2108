import ArgumentParser
import Foundation
import MockMXCommandLine

/// The container's HEALTHCHECK and a script's readiness probe: asks a running `serve` for `/healthz`.
struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the mockmx serving here answers /healthz with status ok, else 1 with the reason.",
        discussion: "A ready file given (--ready-file, or MOCKMX_READY_FILE unless --api is given) names the API "
            + "serve bound, and is asked. Else finds the control API as serve does: --api, then MOCKMX_API, then the "
            + "default (127.0.0.1:8025, or 0.0.0.0:8025 in a container, asked on this machine).")

    @Option(help: ArgumentHelp("HOST:PORT of the control API.", valueName: "address"))
    var api: String?

    @Option(
        name: .customLong("api-token"),
        help: ArgumentHelp(
            "Bearer token to send (default: MOCKMX_API_TOKEN); /healthz does not need it.", valueName: "token"))
    var apiToken: String?

    @Option(
        name: .customLong("ready-file"),
        help: ArgumentHelp("serve's ready file; the API address it names is the one asked.", valueName: "path"))
    var readyFile: String?

    @Option(help: ArgumentHelp("Seconds to wait for the answer.", valueName: "seconds"))
    var timeout: Double = 2

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let flags = ServeSettings.Flags(api: api, apiToken: apiToken, readyFile: readyFile)
        let settings: ServeSettings
        do {
            settings = try ServeSettings.resolve(
                flags: flags, environment: environment,
                inContainer: ContainerDetection.isContainer(environment: environment))
        } catch {
            Health.fail(error.description)
        }
        let address: String
        switch HealthProbe.apiAddress(settings: settings, flags: flags) {
        case .success(let found): address = found
        case .failure(let failure): Health.fail(failure.description)
        }
        guard timeout > 0, timeout.isFinite else { Health.fail("--timeout: must be a number of seconds above 0") }
        let probe = HealthProbe(
            address: address, token: settings.apiToken, timeout: .milliseconds(Int(timeout * 1000)))
        switch probe.run() {
        case .healthy(let line):
            print(line)
        case .unhealthy(let reason):
            Health.fail(reason)
        }
    }

    /// Exit 1 with one line on stderr: the contract a HEALTHCHECK and a readiness probe read.
    private static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("mockmx health: \(reason)\n".utf8))
        Foundation.exit(1)
    }
}
