import MockMXScenario

/// One SMTP listener: where to bind and which remote host to play there.
public struct ListenerConfiguration: Sendable {
    /// `HOST:PORT` or `[IPV6]:PORT`; port 0 picks a free port.
    public var address: String
    public var scenario: Scenario

    public init(address: String, scenario: Scenario = .defaultPersona) {
        self.address = address
        self.scenario = scenario
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

    public init(
        listeners: [ListenerConfiguration] = [ListenerConfiguration(address: "127.0.0.1:0")],
        spoolDirectory: String? = nil,
        messageRetention: Int = 10_000,
        sessionRetention: Int = 10_000,
        transcriptLimit: Int = 2_000,
        shutdownGraceMilliseconds: Int = 5_000,
        transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)? = nil
    ) {
        self.listeners = listeners
        self.spoolDirectory = spoolDirectory
        self.messageRetention = messageRetention
        self.sessionRetention = sessionRetention
        self.transcriptLimit = transcriptLimit
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.transcriptHandler = transcriptHandler
    }
}

/// A listener as bound.
public struct BoundListener: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var scenario: String
    /// `HOST:PORT`, brackets for IPv6.
    public var name: String
}
