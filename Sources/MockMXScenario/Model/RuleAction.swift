import SMTPProtocol

/// One step of a rule's `do:` list, run in order by the transport.
public enum RuleAction: Sendable, Equatable {
    /// Send this reply: text verbatim (trailing spaces included) but for `{hostname}`, replaced by the host name.
    case reply(SMTPReply)
    /// Send the protocol's own reply for the event (`default`). For events without one
    /// (`data.bytes`, `tls`) it means "carry on as normal".
    case useDefault
    /// Wait, then go on with the next action.
    case delay(milliseconds: Int)
    /// Send nothing for this event and never answer again; input is still read and recorded, the socket
    /// stays open until the client closes it or the hold timeout ends the session.
    case withhold
    /// Stop reading from the socket so the client's TCP window fills, as a black-holing firewall does.
    case stall
    /// Close (FIN) after what has been sent.
    case close
    /// Abort the connection with a TCP RST.
    case reset
    /// Replies sent after this action in the same rule go out one byte per interval.
    case trickle(milliseconds: Int)
    /// Replies sent after this action in the same rule are cut to their first `bytes` bytes.
    case truncate(bytes: Int)
    /// Send exactly these bytes: malformed replies on purpose.
    case raw([UInt8])
    /// Acknowledge the end of data as usual but do not store the message: a host that loses mail.
    case dropMessage

    /// Whether this action puts something on the wire or ends the session. A rule with none of these
    /// is followed by `default` (Scenarios/README.md, "Actions": "A rule that sends nothing is followed by
    /// `default`"), so `do: delay: 2s` delays the normal reply instead of swallowing it.
    public var sendsOrEnds: Bool {
        switch self {
        case .reply, .useDefault, .withhold, .close, .reset, .raw, .stall:
            return true
        case .delay, .trickle, .truncate, .dropMessage:
            return false
        }
    }
}
