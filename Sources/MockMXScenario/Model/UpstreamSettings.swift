/// The real host a proxying scenario stands in front of (`upstream:`): every client command goes there, and
/// its reply is the proposal the scenario's rules transform.
public struct UpstreamSettings: Sendable, Equatable {
    public var address: HostPort
    /// No connection within this long: the client's greeting is `421 4.4.1`.
    public var connectTimeoutMilliseconds: Int
    /// No complete reply within this long: the client gets `451 4.4.2` and the upstream session is dropped.
    public var replyTimeoutMilliseconds: Int
    /// STARTTLS toward the upstream when its EHLO reply offers it.
    public var startTLS = true
    /// Verify the upstream's certificate (`verify: true`; off by default: test hosts have their own): its chain
    /// against ``caFile`` (the system's CAs when nil), and its name against ``serverName`` when given.
    public var verify = false
    /// A PEM file of the CAs the upstream's certificate must chain to (`ca-file:`).
    public var caFile: String?
    /// The name the upstream's certificate must carry (`server-name:`), also sent as SNI.
    public var serverName: String?

    public init(address: HostPort, connectTimeoutMilliseconds: Int = 10_000, replyTimeoutMilliseconds: Int = 300_000) {
        self.address = address
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.replyTimeoutMilliseconds = replyTimeoutMilliseconds
    }
}
