import MockMXDNS
import SMTPProtocol

/// One simulated remote host: who it says it is, what it advertises, and how it misbehaves.
///
/// Usually loaded from YAML with ``ScenarioLoader``; it can also be built in code for the in-process API.
public struct Scenario: Sendable, Equatable {
    /// The bundled scenario's name, or the path of the file it came from.
    public var name: String
    /// One sentence saying which real-world situation this reproduces.
    public var summary: String?
    /// Hostname, greeting, EHLO keywords, limits and protocol strictness.
    public var host: SMTPServerConfiguration
    public var timeouts: ScenarioTimeouts
    /// Seed of the generator behind `chance:`; 1 when the file gives none, so runs are always reproducible.
    public var seed: UInt64
    /// Evaluated in order for every event; the first that matches decides.
    public var rules: [Rule]
    /// The inspecting middlebox in front of the host, or nil when the client talks to the host directly.
    public var firewall: FirewallConfiguration?
    /// Certificate and protocol versions for STARTTLS and implicit-TLS listeners.
    public var tls: TLSSettings
    /// The test domains `serve --dns` answers for (the MX records that lead senders here), if any.
    public var dns: DNSZone?
    /// What the verdicts hold the sender under test to beyond the RFCs (`expect:`).
    public var expect = ScenarioExpectations()
    /// The real host this scenario proxies (proxy mode), or nil when mockmx answers by itself.
    public var upstream: UpstreamSettings?
    /// Whether the file gave `host.extensions`: in proxy mode they then replace the upstream's EHLO keywords.
    public var extensionsGiven: Bool
    /// The document it was loaded from, as written (so the web UI can show and edit it); nil when built in code.
    public var source: String?

    public init(
        name: String,
        summary: String? = nil,
        host: SMTPServerConfiguration = SMTPServerConfiguration(),
        timeouts: ScenarioTimeouts = ScenarioTimeouts(),
        seed: UInt64 = 1,
        rules: [Rule] = [],
        firewall: FirewallConfiguration? = nil,
        tls: TLSSettings = TLSSettings(),
        dns: DNSZone? = nil,
        upstream: UpstreamSettings? = nil,
        extensionsGiven: Bool = false
    ) {
        self.name = name
        self.summary = summary
        self.host = host
        self.timeouts = timeouts
        self.seed = seed
        self.rules = rules
        self.firewall = firewall
        self.tls = tls
        self.dns = dns
        self.upstream = upstream
        self.extensionsGiven = extensionsGiven
    }

    /// The well-behaved modern MX: default host configuration, no rules, no firewall.
    public static let defaultPersona = Scenario(
        name: "default",
        summary: "A well-behaved modern MX that accepts every message."
    )
}
