import ArgumentParser
import Foundation
import MockMXCommandLine
import MockMXDNS
import MockMXScenario
import MockMXServer
import MockMXVerdicts

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the host: SMTP listeners, each playing its scenario.",
        discussion: "Every option can also come from a MOCKMX_* environment variable (MOCKMX_LISTEN, MOCKMX_API, "
            + "MOCKMX_SPOOL, …; see docs/sidecar.md); an option given here wins. In a container the defaults are "
            + "0.0.0.0:2525 and 0.0.0.0:8025.")

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "[smtps://]HOST:PORT[=SCENARIO] to listen on (repeatable; smtps:// for implicit TLS). Port 0 picks a "
                + "free port. SCENARIO is a bundled "
                + "name or a YAML file; without it the default persona answers. Default 127.0.0.1:2525.",
            valueName: "address"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Also write every accepted message to DIR (<id>.eml + <id>.json).", valueName: "dir"))
    var spool: String?

    @Option(
        name: .customLong("ready-file"),
        help: ArgumentHelp("Write the bound addresses as JSON to PATH once listening.", valueName: "path"))
    var readyFile: String?

    @Option(
        help: ArgumentHelp(
            "Seconds sessions in DATA get to finish on SIGTERM before 421 (default 5).", valueName: "seconds"))
    var grace: Double?

    @Option(help: ArgumentHelp("Messages kept in memory, oldest dropped first (default 10000).", valueName: "count"))
    var retainMessages: Int?

    @Option(
        help: ArgumentHelp(
            "Sessions with transcripts kept in memory, oldest dropped first (default 10000).", valueName: "count"))
    var retainSessions: Int?

    @Option(
        name: .customLong("retain-message-bytes"),
        help: ArgumentHelp(
            "Message content and XEXCH50 bytes kept in memory, oldest messages dropped first (default 256MiB; "
                + "K, M, G are powers of 1024). A larger message is kept on disk only with --spool, else refused "
                + "with 552.",
            valueName: "size"))
    var retainMessageBytes: ByteCount?

    @Option(
        name: .customLong("retain-transcript-bytes"),
        help: ArgumentHelp(
            "Transcript bytes of ended sessions kept in memory, oldest sessions dropped first (default 64MiB).",
            valueName: "size"))
    var retainTranscriptBytes: ByteCount?

    @Option(
        help: ArgumentHelp(
            "Open SMTP connections allowed at once; beyond it clients get 421 4.7.0 (default 20000).",
            valueName: "count"))
    var maxConnections: Int?

    @Flag(name: .shortAndLong, help: "Print every session transcript line to stderr (text log format).")
    var verbose = false

    @Option(
        name: .customLong("log-format"),
        help: ArgumentHelp(
            "text for people; json for one object per line on stdout, the whole transcript included.",
            valueName: "format"))
    var logFormat: ServeSettings.LogFormat?

    @Option(help: ArgumentHelp("Use this seed for every scenario's chance: rules.", valueName: "number"))
    var seed: UInt64?

    @Option(
        name: .customLong("clock-scale"),
        help: ArgumentHelp(
            "Multiply every duration scenarios state (delays, greylist delay, rate windows, timeouts); 0.01 runs "
                + "a 5-minute greylist in 3 seconds. Reply texts keep the nominal times (default 1).",
            valueName: "factor"))
    var clockScale: Double?

    @Option(
        help: ArgumentHelp(
            "HOST:PORT for the HTTP control API (messages, sessions, waits, scenario switch, metrics); port 0 "
                + "picks a free port, 'none' serves no API. Default 127.0.0.1:8025.",
            valueName: "address"))
    var api: String?

    @Option(
        name: .customLong("api-token"),
        help: ArgumentHelp(
            "Require 'Authorization: Bearer TOKEN' on every API request but /healthz (default: the "
                + "MOCKMX_API_TOKEN environment variable, which keeps it out of the process list).",
            valueName: "token"))
    var apiToken: String?

    @Option(
        help: ArgumentHelp(
            "HOST:PORT[=SCENARIO]: answer DNS (UDP) for the test domains in the listeners' scenarios' dns: "
                + "sections, and in SCENARIO's; every other name is refused. Port 53 for an MTA's resolver.",
            valueName: "address"))
    var dns: String?

    @Option(
        help: ArgumentHelp(
            "At shutdown (SIGTERM included) write the verdicts on the sender under test as JUnit XML to FILE.",
            valueName: "file"))
    var junit: String?

    @Flag(help: "Failed warning-level verdicts are JUnit failures too (else reported in <system-out>).")
    var junitWarnings = false

    @Flag(help: "Exit 1 at shutdown when any verdict on the sender under test failed.")
    var failOnVerdict = false

    func verdictSettings() throws -> VerdictSettings {
        do {
            return try VerdictSettings.resolve(
                junit: junit, junitWarnings: junitWarnings, failOnVerdict: failOnVerdict,
                environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }

    @Option(
        name: .customLong("mailpit-api"),
        help: ArgumentHelp(
            "HOST:PORT for a Mailpit-compatible API (Mailpit's /api/v1 paths and fields, for Mailpit clients); port "
                + "0 picks a free port. Off by default; --api-token applies to it too (Bearer or Basic password).",
            valueName: "address"))
    var mailpitAPI: String?

    @Option(
        help: ArgumentHelp(
            "HOST:PORT of a real host to proxy: its replies are what the scenario's rules transform (for "
                + "listeners whose scenario names no upstream:).",
            valueName: "address"))
    var upstream: String?

    @Flag(
        help: ArgumentHelp(
            "Make each spool write durable against power loss (syncfs, batched across sessions) before its 250. "
                + "Without it a 250 means the files are complete: they survive the process being killed."))
    var spoolSync = false

    /// The flags, then the MOCKMX_* environment, then the defaults.
    func settings() throws -> ServeSettings {
        var flags = ServeSettings.Flags(
            listen: listen, api: api, apiToken: apiToken, spool: spool, readyFile: readyFile, logFormat: logFormat,
            grace: grace, maxConnections: maxConnections, retainMessages: retainMessages,
            retainSessions: retainSessions, verbose: verbose, seed: seed, dns: dns,
            retainMessageBytes: retainMessageBytes, retainTranscriptBytes: retainTranscriptBytes,
            clockScale: clockScale)
        flags.mailpitAPI = mailpitAPI
        flags.upstream = upstream
        flags.spoolSync = spoolSync
        let environment = ProcessInfo.processInfo.environment
        do {
            return try ServeSettings.resolve(
                flags: flags, environment: environment,
                inContainer: ContainerDetection.isContainer(environment: environment))
        } catch {
            throw ValidationError(error.description)
        }
    }

    func validate() throws {
        _ = try settings()
        _ = try verdictSettings()
    }

    func run() throws {
        let settings = try settings()
        let verdictSettings = try verdictSettings()
        var listeners: [ListenerConfiguration] = []
        for entry in settings.listeners {
            var scenario: Scenario
            do {
                scenario = try entry.scenario.map { try ScenarioLoader.resolve($0) } ?? .defaultPersona
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
            if let seed = settings.seed { scenario.seed = seed }
            listeners.append(
                ListenerConfiguration(address: entry.address, scenario: scenario, implicitTLS: entry.implicitTLS))
        }
        let log = ServeLog(format: settings.logFormat, verbose: settings.verbose)
        let dnsConfiguration = try settings.dns.map { entry in
            DNSResponderConfiguration(
                address: entry.address, zone: try Serve.dnsZone(scenario: entry.scenario),
                queryHandler: log.dnsQueryHandler)
        }
        var configuration = HostConfiguration(
            listeners: listeners,
            spoolDirectory: settings.spoolDirectory,
            messageRetention: settings.retainMessages,
            messageRetentionBytes: settings.retainMessageBytes,
            sessionRetention: settings.retainSessions,
            transcriptRetentionBytes: settings.retainTranscriptBytes,
            shutdownGraceMilliseconds: Int(settings.graceSeconds * 1000),
            transcriptHandler: log.transcriptHandler,
            apiAddress: settings.apiAddress,
            apiToken: settings.apiToken,
            maxConnections: settings.maxConnections,
            dns: dnsConfiguration)
        configuration.clockScale = settings.clockScale
        configuration.mailpitAPIAddress = settings.mailpitAPIAddress
        configuration.upstream = settings.upstream.map { UpstreamSettings(address: $0) }
        configuration.spoolSync = settings.spoolSync

        AllocatorPolicy.keepLargeBuffersMapped()
        let host: MockMXHost
        let bound: [BoundListener]
        do {
            host = try MockMXHost(configuration)
            log.countDrops(in: host.metrics)
            host.shutdownOnSignals()
            bound = try host.start()
        } catch {
            throw ValidationError("\(error)")
        }
        // The ready file first: whoever reads the listening lines may go straight for it.
        if let readyFile = settings.readyFile {
            try Serve.writeReadyFile(readyFile, bound: bound, api: host.api, dns: host.dns, mailpitAPI: host.mailpitAPI)
        }
        log.started(bound, api: host.api, apiHasToken: settings.apiToken != nil, spool: settings.spoolDirectory)
        if let mailpitAPI = host.mailpitAPI { log.mailpitAPI(mailpitAPI) }
        if let dns = host.dns { log.answeringDNS(dns) }
        host.waitUntilStopped()
        // Judged only when asked: a long run's many sessions should not hold up every shutdown.
        guard verdictSettings.junitFile != nil || verdictSettings.failOnVerdict else {
            log.stopped(sessions: host.sessions.totalStarted, messages: host.messages.totalAccepted)
            return
        }
        let verdicts = host.verdicts
        if let junit = verdictSettings.junitFile {
            let xml = JUnitReport.render(verdicts, warningsFail: verdictSettings.junitWarnings)
            do {
                try Data(xml.utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("mockmx: cannot write \(junit): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        log.stopped(sessions: host.sessions.totalStarted, messages: host.messages.totalAccepted, verdicts: verdicts.summary)
        if verdictSettings.failOnVerdict, verdicts.hasFailure { throw ExitCode(1) }
    }

    /// The `dns:` section of the scenario `--dns` names after its address; a file without one is a mistake.
    static func dnsZone(scenario: String?) throws -> DNSZone {
        guard let scenario else { return DNSZone() }
        do {
            guard let zone = try ScenarioLoader.resolve(scenario).dns else {
                throw ValidationError("--dns: \(scenario) has no dns: section with the test domains")
            }
            return zone
        } catch let error as ScenarioLoadError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func writeReadyFile(
        _ path: String, bound: [BoundListener], api: BoundAddress? = nil, dns: BoundAddress? = nil,
        mailpitAPI: BoundAddress? = nil
    ) throws {
        var readyFile = ReadyFile(
            pid: Int(getpid()),
            smtp: bound.map {
                ReadyFile.Listener(
                    host: $0.host, port: $0.port, address: $0.name, scenario: $0.scenario, implicitTLS: $0.implicitTLS,
                    tlsFingerprint: $0.tlsFingerprint, tlsAuthority: $0.tlsAuthority)
            },
            api: api.map { ReadyFile.Endpoint(host: $0.host, port: $0.port, address: $0.name) },
            dns: dns.map { ReadyFile.Endpoint(host: $0.host, port: $0.port, address: $0.name) })
        readyFile.mailpitAPI = mailpitAPI.map { ReadyFile.Endpoint(host: $0.host, port: $0.port, address: $0.name) }
        // Written whole then renamed, so a watcher never reads half a file.
        try readyFile.json().write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension ServeSettings.LogFormat: ExpressibleByArgument {}

extension ByteCount: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}
