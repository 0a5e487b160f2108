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
    public var listeners: [ListenerConfiguration]
    /// With a spool directory every accepted message is also written there (`<id>.eml`, `<id>.json`)
    /// before it is acknowledged.
    public var spoolDirectory: String?
    /// Messages kept in memory; the oldest are dropped beyond this.
    public var messageRetention: Int
    /// Sessions (with transcripts) kept in memory; the oldest are dropped beyond this.
    public var sessionRetention: Int
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
    /// Open SMTP connections allowed at once; the next is told `421 4.7.0 Error: too many connections`.
    public var maxConnections: Int
    /// The real host listeners proxy when their scenario names no `upstream:` (`serve --upstream`).
    public var upstream: UpstreamSettings? = nil

    public init(
        listeners: [ListenerConfiguration] = [ListenerConfiguration(address: "127.0.0.1:0")],
        spoolDirectory: String? = nil,
        messageRetention: Int = 10_000,
        sessionRetention: Int = 10_000,
        transcriptLimit: Int = 2_000,
        shutdownGraceMilliseconds: Int = 5_000,
        transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)? = nil,
        apiAddress: String? = nil,
        apiToken: String? = nil,
        maxConnections: Int = 20_000
    ) {
        self.listeners = listeners
        self.spoolDirectory = spoolDirectory
        self.messageRetention = messageRetention
        self.sessionRetention = sessionRetention
        self.transcriptLimit = transcriptLimit
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.transcriptHandler = transcriptHandler
        self.apiAddress = apiAddress
        self.apiToken = apiToken
        self.maxConnections = maxConnections
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
