import MockMXScenario

/// Everything `mockmx serve` runs with, resolved from its flags, then the `MOCKMX_*` environment, then the
/// defaults (which depend on whether it runs in a container). `mockmx health` resolves the same way, so it
/// finds the API wherever `serve` put it.
public struct ServeSettings: Sendable, Equatable {
    public enum LogFormat: String, Sendable, CaseIterable {
        /// Lines for people: `mockmx: listening on …`, and with `--verbose` the transcript on stderr.
        case text
        /// One JSON object per line on stdout, the transcript included, for a log platform.
        case json
    }

    public var listeners: [ListenEntry]
    /// `HOST:PORT` of the control API; nil when it is switched off (`none`).
    public var apiAddress: String?
    public var apiToken: String?
    public var spoolDirectory: String?
    public var readyFile: String?
    public var logFormat: LogFormat
    public var graceSeconds: Double
    public var maxConnections: Int
    public var retainMessages: Int
    public var retainSessions: Int
    public var verbose: Bool
    /// Replaces every scenario's `seed:` when set.
    public var seed: UInt64?
    /// `--dns HOST:PORT[=SCENARIO]`: where the DNS responder listens, and a scenario file whose `dns:` section
    /// it answers beside the listeners' (`implicitTLS` unused); nil for no responder.
    public var dns: ListenEntry?
    /// Bytes of message content and XEXCH50 blobs kept in memory.
    public var retainMessageBytes: Int = Defaults.retainMessageBytes
    /// Bytes of transcripts kept in memory.
    public var retainTranscriptBytes: Int = Defaults.retainTranscriptBytes
    /// Multiplies every duration scenarios state (delays, greylist delay and expiry, rate windows, timeouts);
    /// reply texts keep the nominal values.
    public var clockScale: Double = 1
    /// `HOST:PORT` of the Mailpit-compatible API; nil (the default, or `none`) serves none.
    public var mailpitAPIAddress: String? = nil
    /// The real host proxied by listeners whose scenario names no `upstream:`.
    public var upstream: HostPort? = nil
    /// `--spool-sync`: each spool write is made durable with `syncfs` (batched across sessions) before its `250`.
    public var spoolSync = false

    /// What the command line gave; nil (or empty, or false) where it gave nothing.
    public struct Flags: Sendable, Equatable {
        public var listen: [String]
        public var api: String?
        public var apiToken: String?
        public var spool: String?
        public var readyFile: String?
        public var logFormat: LogFormat?
        public var grace: Double?
        public var maxConnections: Int?
        public var retainMessages: Int?
        public var retainSessions: Int?
        public var verbose: Bool
        public var seed: UInt64?
        public var dns: String?
        public var retainMessageBytes: ByteCount?
        public var retainTranscriptBytes: ByteCount?
        public var clockScale: Double?
        /// `--mailpit-api`.
        public var mailpitAPI: String?
        public var upstream: String? = nil
        public var spoolSync = false

        public init(
            listen: [String] = [], api: String? = nil, apiToken: String? = nil, spool: String? = nil,
            readyFile: String? = nil, logFormat: LogFormat? = nil, grace: Double? = nil, maxConnections: Int? = nil,
            retainMessages: Int? = nil, retainSessions: Int? = nil, verbose: Bool = false, seed: UInt64? = nil,
            dns: String? = nil, retainMessageBytes: ByteCount? = nil, retainTranscriptBytes: ByteCount? = nil,
            clockScale: Double? = nil
        ) {
            self.listen = listen
            self.api = api
            self.apiToken = apiToken
            self.spool = spool
            self.readyFile = readyFile
            self.logFormat = logFormat
            self.grace = grace
            self.maxConnections = maxConnections
            self.retainMessages = retainMessages
            self.retainSessions = retainSessions
            self.verbose = verbose
            self.seed = seed
            self.dns = dns
            self.retainMessageBytes = retainMessageBytes
            self.retainTranscriptBytes = retainTranscriptBytes
            self.clockScale = clockScale
        }
    }

    /// The defaults: loopback outside a container, every interface inside one (where a published port
    /// arrives on the container's own address, never on its loopback).
    public enum Defaults {
        public static let graceSeconds = 5.0
        public static let maxConnections = 20_000
        public static let retainMessages = 10_000
        public static let retainSessions = 10_000
        public static let retainMessageBytes = 256 << 20
        public static let retainTranscriptBytes = 64 << 20

        public static func listenAddress(inContainer: Bool) -> String {
            inContainer ? "0.0.0.0:2525" : "127.0.0.1:2525"
        }

        public static func apiAddress(inContainer: Bool) -> String {
            inContainer ? "0.0.0.0:8025" : "127.0.0.1:8025"
        }
    }

    /// Flags win over the environment, the environment over the defaults. An empty variable counts as unset.
    /// Any `MOCKMX_*` variable mockmx does not read is an error, so a typo is never silently ignored.
    public static func resolve(
        flags: Flags, environment: [String: String], inContainer: Bool
    ) throws(ConfigurationError) -> ServeSettings {
        let variables = try EnvironmentVariables(environment)
        let listeners: [ListenEntry]
        if !flags.listen.isEmpty {
            listeners = try checked(flags.listen.map(ListenEntry.init(parsing:)), source: "--listen")
        } else if let text = variables[.listen] {
            listeners = try checked(ListenEntry.list(parsing: text), source: EnvironmentVariable.listen.rawValue)
        } else {
            listeners = [ListenEntry(address: Defaults.listenAddress(inContainer: inContainer))]
        }
        let api = flags.api ?? variables[.api] ?? Defaults.apiAddress(inContainer: inContainer)
        if flags.apiToken?.isEmpty == true { throw ConfigurationError("--api-token", "must not be empty") }

        let verbose = try setting(
            flags.verbose ? true : nil, "--verbose", variables, .verbose, EnvironmentVariable.boolean)
        let grace = try setting(flags.grace, "--grace", variables, .grace) { Double($0) }
        if let grace, !(grace.value >= 0 && grace.value.isFinite) {
            throw ConfigurationError(grace.source, "must be a number of seconds, 0 or more, found \(grace.value)")
        }
        let clockScale = try setting(flags.clockScale, "--clock-scale", variables, .clockScale) { Double($0) }
        if let clockScale, !(clockScale.value > 0 && clockScale.value <= 1000) {
            throw ConfigurationError(
                clockScale.source, "must be a number above 0 and at most 1000 (0.01: a 5-minute greylist in 3 s), "
                    + "found \(clockScale.value)")
        }
        var settings = ServeSettings(
            listeners: listeners,
            apiAddress: api.lowercased() == "none" ? nil : api,
            apiToken: flags.apiToken ?? variables[.apiToken],
            spoolDirectory: flags.spool ?? variables[.spool],
            readyFile: flags.readyFile ?? variables[.readyFile],
            logFormat: try setting(flags.logFormat, "--log-format", variables, .logFormat) {
                LogFormat(rawValue: $0.lowercased())
            }?.value ?? .text,
            graceSeconds: grace?.value ?? Defaults.graceSeconds,
            maxConnections: try positive(flags.maxConnections, "--max-connections", variables, .maxConnections)
                ?? Defaults.maxConnections,
            retainMessages: try positive(flags.retainMessages, "--retain-messages", variables, .retainMessages)
                ?? Defaults.retainMessages,
            retainSessions: try positive(flags.retainSessions, "--retain-sessions", variables, .retainSessions)
                ?? Defaults.retainSessions,
            verbose: verbose?.value ?? false,
            seed: try setting(flags.seed, "--seed", variables, .seed) { UInt64($0) }?.value,
            dns: try dnsEntry(flags.dns, variables), clockScale: clockScale?.value ?? 1)
        settings.retainMessageBytes = try size(
            flags.retainMessageBytes, "--retain-message-bytes", variables, .retainMessageBytes)
            ?? Defaults.retainMessageBytes
        settings.retainTranscriptBytes = try size(
            flags.retainTranscriptBytes, "--retain-transcript-bytes", variables, .retainTranscriptBytes)
            ?? Defaults.retainTranscriptBytes
        settings.mailpitAPIAddress = (flags.mailpitAPI ?? variables[.mailpitAPI]).flatMap {
            $0.lowercased() == "none" ? nil : $0
        }
        if let text = flags.upstream ?? variables[.upstream] {
            let source = flags.upstream == nil ? EnvironmentVariable.upstream.rawValue : "--upstream"
            guard let address = HostPort(text), address.port != 0 else {
                throw ConfigurationError(source, "expected \(EnvironmentVariable.upstream.expectation), found '\(text)'")
            }
            settings.upstream = address
        }
        settings.spoolSync = try setting(
            flags.spoolSync ? true : nil, "--spool-sync", variables, .spoolSync, EnvironmentVariable.boolean)?.value ?? false
        if settings.spoolSync, settings.spoolDirectory == nil {
            throw ConfigurationError(
                flags.spoolSync ? "--spool-sync" : EnvironmentVariable.spoolSync.rawValue, "needs a spool (--spool DIR)")
        }
        return settings
    }

    private static func dnsEntry(
        _ flag: String?, _ variables: EnvironmentVariables
    ) throws(ConfigurationError) -> ListenEntry? {
        let given = flag.map { ($0, "--dns") } ?? variables[.dns].map { ($0, EnvironmentVariable.dns.rawValue) }
        guard let (text, source) = given else { return nil }
        let entry = ListenEntry(parsing: text)
        guard !entry.implicitTLS, !text.hasPrefix("smtp://") else {
            throw ConfigurationError(source, "takes HOST:PORT[=SCENARIO] (UDP), no scheme; found '\(text)'")
        }
        return try checked([entry], source: source)[0]
    }

    private static func size(
        _ flag: ByteCount?, _ flagName: String, _ variables: EnvironmentVariables, _ variable: EnvironmentVariable
    ) throws(ConfigurationError) -> Int? {
        guard let size = try setting(flag, flagName, variables, variable, ByteCount.init(parsing:)) else { return nil }
        guard size.value.bytes > 0 else { throw ConfigurationError(size.source, "must be a size above 0, found 0") }
        return size.value.bytes
    }

    private static func checked(_ entries: [ListenEntry], source: String) throws(ConfigurationError) -> [ListenEntry] {
        guard !entries.isEmpty else { throw ConfigurationError(source, "holds no address") }
        for entry in entries {
            guard !entry.address.isEmpty else {
                throw ConfigurationError(source, "an entry has no address (use [smtps://]HOST:PORT[=SCENARIO])")
            }
            guard entry.scenario?.isEmpty != true else {
                throw ConfigurationError(source, "'\(entry.address)=' names no scenario after the '='")
            }
        }
        return entries
    }

    /// The flag's value, else the variable's as `convert` reads it, else nil — with the name of where it came
    /// from. A variable that does not convert is an error naming it.
    private static func setting<Value>(
        _ flag: Value?, _ flagName: String, _ variables: EnvironmentVariables, _ variable: EnvironmentVariable,
        _ convert: (String) -> Value?
    ) throws(ConfigurationError) -> (value: Value, source: String)? {
        if let flag { return (flag, flagName) }
        guard let text = variables[variable] else { return nil }
        guard let value = convert(text) else {
            throw ConfigurationError(variable.rawValue, "expected \(variable.expectation), found '\(text)'")
        }
        return (value, variable.rawValue)
    }

    private static func positive(
        _ flag: Int?, _ flagName: String, _ variables: EnvironmentVariables, _ variable: EnvironmentVariable
    ) throws(ConfigurationError) -> Int? {
        guard let limit = try setting(flag, flagName, variables, variable, { Int($0) }) else { return nil }
        guard limit.value > 0 else {
            throw ConfigurationError(limit.source, "must be a whole number above 0, found \(limit.value)")
        }
        return limit.value
    }
}

/// A flag or environment variable mockmx cannot use, named.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `--grace`, `MOCKMX_GRACE`, …
    public var source: String
    public var message: String

    public init(_ source: String, _ message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}
