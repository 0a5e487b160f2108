import SMTPProtocol

/// The event names a rule's `on:` can use.
///
/// Besides these, any verb-like name (`[A-Za-z][A-Za-z0-9-]*`) names that custom command, lower-cased
/// (`on: X-LINK2STATE` → `x-link2state`), unless it is a near miss of a known event (a typo) or a known
/// event with something attached (`rcpt-to`); `on: {verb: NAME}` names any verb as a custom one.
public enum ScenarioEvent {
    /// A name of at most 8 bytes as one integer, so that names compare in one comparison (names have no NUL
    /// byte, so different names give different integers); 0 for a longer name. `lowerCasing` folds ASCII
    /// letters, as for an event at hand; a rule's event is packed as written.
    public static func packed(_ name: String, lowerCasing: Bool = false) -> UInt64 {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count <= 8 else { return 0 }
            return bytes.reduce(0) { $0 << 8 | UInt64(lowerCasing ? ASCII.lowercased($1) : $1) }
        }
    }

    /// Fires when the connection is accepted, before the greeting.
    public static let connect = "connect"
    /// Any command the protocol does not recognize.
    public static let unknown = "unknown"
    /// The lone `.` ending DATA.
    public static let dataEnd = "data.end"
    /// Message content received so far reached a rule's `bytes:` threshold.
    public static let dataBytes = "data.bytes"
    public static let bdatChunk = "bdat.chunk"
    public static let bdatLast = "bdat.last"
    /// The announced number of XEXCH50 blob bytes arrived.
    public static let xexch50Blob = "xexch50.blob"
    /// The TLS handshake after STARTTLS.
    public static let tls = "tls"
    /// No input for the host's idle timeout.
    public static let idle = "idle"

    /// The commands code refers to by name: the ones that begin or abort a transaction, and EHLO, whose
    /// reply a firewall rewrites; those of a transaction, which envelope conditions are checked against.
    public static let ehlo = "ehlo"
    public static let helo = "helo"
    /// LMTP's greeting command (RFC 2033 §4.1); in SMTP it is an unknown command.
    public static let lhlo = "lhlo"
    public static let mail = "mail"
    public static let rset = "rset"
    public static let rcpt = "rcpt"
    public static let data = "data"
    public static let xexch50 = "xexch50"

    /// The commands the protocol implements, lower-cased, in the order of Scenarios/README.md. BDAT is
    /// not among them: it is answered once, after its chunk, as `bdat.chunk` / `bdat.last`.
    public static let commands: [String] = [
        ehlo, helo, lhlo, mail, rcpt, data, rset, "noop", "quit",
        "vrfy", "expn", "help", "starttls", "auth", xexch50,
    ]

    /// Every event name with a fixed meaning.
    public static let known: [String] = [connect] + commands + [unknown, dataEnd, dataBytes, bdatChunk, bdatLast]
        + [xexch50Blob, tls, idle]

    /// Events with no command line of their own, where `args:` could never match.
    public static let withoutArguments: Set<String> = [connect, dataEnd, dataBytes, tls, idle]

    /// Real verbs close in spelling to a known event (LHLO is one letter from HELO); named explicitly
    /// they are taken as custom verbs rather than reported as typos.
    static let nearMissVerbs: Set<String> = [
        "turn", "atrn", "etrn", "send", "soml", "saml", "verb", "onex", "burl", "xauth",
    ]
}

/// An event's name as the engine and the occurrence counts compare it, packed once per event
/// (``ScenarioEvent/packed(_:lowerCasing:)``, ASCII letters folded).
public struct EventName: Sendable {
    /// Lower-case as in `on:`.
    public let text: String
    /// 0 for a name longer than 8 bytes, which is compared as text.
    public let packed: UInt64

    public init(_ text: String) {
        self.text = text
        packed = ScenarioEvent.packed(text, lowerCasing: true)
    }
}
