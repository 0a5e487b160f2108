import MockMXDNS
import MockMXScenario

/// One SMTP listener: where to bind and which remote host to play there.
public struct ListenerConfiguration: Sendable {
    /// `HOST:PORT` or `[IPV6]:PORT`; port 0 picks a free port.
    public var address: String
    public var scenario: Scenario
    /// TLS from the first byte (port 465 style, RFC 8314) instead of plaintext with optional STARTTLS.
    public var implicitTLS: Bool

    public init(address: String, scenario: Scenario = .defaultPersona, implicitTLS: Bool = false) {
        self.address = address
        self.scenario = scenario
        self.implicitTLS = implicitTLS
    }
}

/// Everything a host needs to run.
public struct HostConfiguration: Sendable {
    /// 256 MiB of message content and blobs.
    public static let defaultMessageRetentionBytes = 256 << 20
    /// 64 MiB of transcripts.
    public static let defaultTranscriptRetentionBytes = 64 << 20

    public var listeners: [ListenerConfiguration]
    /// With a spool directory every accepted message is also written there (`<id>.eml`, `<id>.json`)
    /// before it is acknowledged.
    public var spoolDirectory: String?
    /// Messages kept in memory; the oldest are dropped beyond this.
    public var messageRetention: Int
    /// Bytes of message content and XEXCH50 blobs kept in memory; the oldest messages are dropped beyond this.
    /// A larger message is kept on disk only with a spool, and refused with `552 5.3.4` without one.
    public var messageRetentionBytes: Int
    /// Sessions (with transcripts) kept in memory; the oldest are dropped beyond this.
    public var sessionRetention: Int
    /// Bytes of ended sessions' transcripts kept in memory; the oldest sessions are dropped beyond this.
    public var transcriptRetentionBytes: Int
    /// Transcript entries kept per session; later ones are counted, not kept.
    public var transcriptLimit: Int
    /// How long open sessions may finish their step on shutdown before they get `421`.
    public var shutdownGraceMilliseconds: Int
    /// Called on the loop thread for every transcript entry (the CLI's `--verbose`). Keep it fast.
    public var transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)?
    /// `HOST:PORT` for the HTTP control API on the host's own event loop; nil serves no API. Port 0 picks a
    /// free port (read it back from ``MockMXHost/api``).
    public var apiAddress: String?
    /// When set, every API request but `/healthz` needs `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// API connections idle this long, or with a request (or reply) moving slower, are closed.
    public var apiTimeoutMilliseconds = 60_000
    /// Open SMTP connections allowed at once; the next is told `421 4.7.0 Error: too many connections`.
    public var maxConnections: Int
    /// The DNS responder for the test domains, if one is wanted.
    public var dns: DNSResponderConfiguration?
    /// Multiplies every duration a scenario states (`--clock-scale`): `0.01` runs a 5-minute greylist in 3 s.
    public var clockScale: Double = 1
    /// Where scenario time comes from: milliseconds from any origin, never going back. nil: the machine's
    /// monotonic clock. Tests pass a clock they advance themselves.
    public var realClock: (@Sendable () -> Int64)?
    /// The most keys of `greylist:` and `limit:` state a listener keeps; the oldest is evicted beyond.
    public var stateKeysPerListener: Int = KeyedStateTable.defaultCapacity
    /// `HOST:PORT` for the Mailpit-compatible API (its own listener, on the same loop); nil serves none. It
    /// follows ``apiToken`` too.
    public var mailpitAPIAddress: String?
    /// The real host listeners proxy when their scenario names no `upstream:` (`serve --upstream`).
    public var upstream: UpstreamSettings? = nil
    /// Each spool write is followed by `syncfs` (one per batch of writes, across sessions) before its `250`:
    /// durable against power loss, not only against the process being killed.
    public var spoolSync = false

    public init(
        listeners: [ListenerConfiguration] = [ListenerConfiguration(address: "127.0.0.1:0")],
        spoolDirectory: String? = nil,
        messageRetention: Int = 10_000,
        messageRetentionBytes: Int = HostConfiguration.defaultMessageRetentionBytes,
        sessionRetention: Int = 10_000,
        transcriptRetentionBytes: Int = HostConfiguration.defaultTranscriptRetentionBytes,
        transcriptLimit: Int = 2_000,
        shutdownGraceMilliseconds: Int = 5_000,
        transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)? = nil,
        apiAddress: String? = nil,
        apiToken: String? = nil,
        maxConnections: Int = 20_000,
        dns: DNSResponderConfiguration? = nil
    ) {
        self.listeners = listeners
        self.spoolDirectory = spoolDirectory
        self.messageRetention = messageRetention
        self.messageRetentionBytes = messageRetentionBytes
        self.sessionRetention = sessionRetention
        self.transcriptRetentionBytes = transcriptRetentionBytes
        self.transcriptLimit = transcriptLimit
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.transcriptHandler = transcriptHandler
        self.apiAddress = apiAddress
        self.apiToken = apiToken
        self.maxConnections = maxConnections
        self.dns = dns
    }
}

/// Where the DNS responder listens and which test domains it answers for.
public struct DNSResponderConfiguration: Sendable {
    /// `HOST:PORT` (UDP); port 0 picks a free port, 53 is where resolvers look.
    public var address: String
    /// Domains answered beside those of the listeners' start-up scenarios (their `dns:` sections).
    public var zone: DNSZone
    /// Called on the loop thread for every question (the CLI's `--verbose` and JSON log). Keep it fast.
    public var queryHandler: (@Sendable (DNSQueryRecord) -> Void)?

    public init(
        address: String, zone: DNSZone = DNSZone(), queryHandler: (@Sendable (DNSQueryRecord) -> Void)? = nil
    ) {
        self.address = address
        self.zone = zone
        self.queryHandler = queryHandler
    }
}

/// A listener as bound.
public struct BoundListener: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var scenario: String
    /// `HOST:PORT`, brackets for IPv6.
    public var name: String
    /// Whether the listener speaks TLS from the first byte.
    public var implicitTLS: Bool
    /// SHA-256 fingerprint of the certificate presented (STARTTLS or implicit TLS), when the scenario uses TLS.
    public var tlsFingerprint: String?
    /// PEM file of the CA that signed the generated certificate, for clients that verify the chain.
    public var tlsAuthority: String?
}

/// The control API as bound.
public struct BoundAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `HOST:PORT`, brackets for IPv6.
    public var name: String
    /// `http://HOST:PORT`, ready to append `/api/v1/…` to.
    public var url: String { "http://\(name)" }
}
