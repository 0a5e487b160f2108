/// Something the session has to answer (or decide not to answer).
public enum SMTPEvent: Sendable, Equatable {
    /// A connection was accepted; the proposal is the greeting.
    case connect
    /// A complete command line. `verb` is upper-cased; `arguments` are the bytes after the first space.
    case command(verb: String, arguments: [UInt8], recognized: Bool)
    /// A line that could not be read as a command (too long, bare LF in strict mode).
    case malformedLine(MalformedLine)
    /// The DATA content reached `bytes` octets (only at the marks the transport asked for).
    case dataProgress(bytes: Int)
    /// The lone `.` ending DATA arrived.
    case dataEnd(bytes: Int)
    /// The announced number of XEXCH50 blob bytes arrived.
    case xexch50Blob(bytes: Int)
    /// A BDAT chunk's announced bytes arrived (RFC 3030). `arguments` are the BDAT command's.
    case bdatChunk(bytes: Int, last: Bool, arguments: [UInt8])
    /// A line answering an AUTH challenge (`334`), without its line end: a proxy relays it as it came.
    case authResponse(line: [UInt8])
    /// No input for the host's idle timeout.
    case idle

    public enum MalformedLine: String, Sendable {
        case tooLong = "line too long"
        case bareLineFeed = "bare <LF>"
    }

    /// The event's name in scenario files (`on:`).
    public var name: String {
        switch self {
        case .connect: "connect"
        case .command(let verb, _, _): Self.eventName(ofVerb: verb)
        case .malformedLine: "unknown"
        case .dataProgress: "data.bytes"
        case .dataEnd: "data.end"
        case .xexch50Blob: "xexch50.blob"
        case .bdatChunk(_, let last, _): last ? "bdat.last" : "bdat.chunk"
        case .authResponse: "auth.response"
        case .idle: "idle"
        }
    }

    /// Static names for the commands this host implements: `lowercased()` is Unicode-aware and costs more
    /// than the whole rule lookup when no rule is on the event.
    private static func eventName(ofVerb verb: String) -> String {
        SMTPCommand(verb: verb.utf8)?.eventName ?? verb.lowercased()
    }

    /// A recognized QUIT: the client ends the session.
    public var isQuit: Bool {
        if case .command(let verb, _, true) = self { verb == SMTPCommand.quit.rawValue } else { false }
    }

    /// Whether rules on `unknown` apply.
    public var isUnknownCommand: Bool {
        switch self {
        case .command(_, _, let recognized): !recognized
        case .malformedLine: true
        default: false
        }
    }
}

/// What the session proposes for one event.
public struct SMTPStep: Sendable, Equatable {
    public var event: SMTPEvent
    /// The RFC-correct reply; nil for events that need none (`data.bytes`).
    public var reply: SMTPReply?
    /// The connection should close once the reply is out (QUIT, 421, synchronization errors).
    public var closesConnection: Bool
    /// On a successful end of DATA: the message to store before the reply is sent.
    public var message: ReceivedMessage? {
        get { if case .message(let message)? = boxedMessage { message } else { nil } }
        set { boxedMessage = newValue.map { .message($0) } }
    }
    /// LMTP's end of a message (RFC 2033 §4.2): one reply per accepted recipient, in RCPT order, in place of
    /// `reply` (which stays the reply an SMTP host would give). Empty in SMTP and for every other event.
    public var recipientReplies: [RecipientReply] = []
    /// Out of line: every connection keeps a step inline, and only the step ending a message has one.
    private var boxedMessage: BoxedMessage?

    public init(event: SMTPEvent, reply: SMTPReply?, closesConnection: Bool = false, message: ReceivedMessage? = nil) {
        self.event = event
        self.reply = reply
        self.closesConnection = closesConnection
        self.message = message
    }
}

private indirect enum BoxedMessage: Sendable, Equatable {
    case message(ReceivedMessage)
}

/// One recipient's reply at the end of an LMTP message.
public struct RecipientReply: Sendable, Equatable {
    /// The address as given in RCPT, without angle brackets.
    public var recipient: [UInt8]
    public var reply: SMTPReply

    public init(recipient: [UInt8], reply: SMTPReply) {
        self.recipient = recipient
        self.reply = reply
    }
}
