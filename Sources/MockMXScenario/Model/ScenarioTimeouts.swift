/// How long the host waits, from `host.timeouts`.
public struct ScenarioTimeouts: Sendable, Equatable {
    /// No input for this long fires the `idle` event (by default `421 4.4.2` and close).
    /// RFC 5321 §4.5.3.2.7 asks a server to wait at least 5 minutes for a command.
    public var idleMilliseconds: Int
    /// How long a withheld or stalled session is kept open before the host gives up and closes it, so a
    /// forgotten test cannot pin a connection forever. Longer than Exchange's 10-minute wait by default.
    public var holdMilliseconds: Int

    public init(idleMilliseconds: Int = 300_000, holdMilliseconds: Int = 600_000) {
        self.idleMilliseconds = idleMilliseconds
        self.holdMilliseconds = holdMilliseconds
    }
}
