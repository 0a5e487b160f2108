import Foundation

/// One line of a session transcript.
public struct TranscriptEntry: Sendable, Equatable {
    public enum Direction: String, Sendable {
        /// Bytes from the client, as it sent them.
        case client
        /// What the host received after a firewall persona rewrote the client's bytes.
        case hostReceived = "host-received"
        /// Bytes the host sent.
        case server
        /// What happened that is not bytes: a rule firing, a delay, a reset, message content received.
        case note
    }

    public var time: Date
    public var direction: Direction
    public var text: String
    /// The rule that decided this step, as ``Rule/label`` gives it:
    /// `greylisted on first contact (greylist.yaml:11:5)`, or `rule 2 (mine.yaml:14:5)` for a rule without a name.
    public var rule: String?
}

/// How a session ended.
public enum SessionEnd: String, Sendable {
    case clientQuit = "client-quit"
    case clientVanished = "client-vanished"
    case closedByRule = "closed-by-rule"
    case resetByRule = "reset-by-rule"
    case timeout
    case hostShutdown = "host-shutdown"
    case protocolClose = "protocol-close"
    case outputOverflow = "output-overflow"
    case droppedByFirewall = "dropped-by-firewall"
    case tlsFailed = "tls-failed"
}
