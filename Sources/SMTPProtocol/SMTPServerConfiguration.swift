/// How the receiving side treats a bare LF (one not preceded by CR) — the SMTP-smuggling knob
/// (CVE-2023-51764/5/6). Senders should be tested against all three receivers.
public enum LineEndingMode: String, Sendable, CaseIterable {
    /// Bare LF in DATA makes the message fail with `550 5.5.2` at end of data (Postfix
    /// `smtpd_forbid_bare_newline = reject`); a command ended by bare LF gets `500 5.5.2`.
    /// Only `CRLF.CRLF` ends DATA.
    case strict
    /// Bare LF is accepted in content and stored as CRLF, but only `CRLF.CRLF` ends DATA
    /// (Postfix 3.9's default). The default here too: what a careful modern MTA does.
    case normalize
    /// Bare LF ends lines anywhere, so `LF.LF` ends DATA: the pre-2023 behaviour smuggling exploits.
    case lax
}

/// Whether commands sent ahead of their turn are tolerated (RFC 2920 §3.1).
public enum PipeliningMode: String, Sendable, CaseIterable {
    /// Any input is read whenever it arrives, as most hosts do.
    case lenient
    /// Input before the greeting, after a command that must end a group, or any pipelining when
    /// PIPELINING is not advertised gets `554 5.5.0 Error: SMTP protocol synchronization` and the
    /// connection is closed (Postfix/Exim behaviour).
    case strict
}

/// Limits the host enforces.
public struct SMTPLimits: Sendable, Equatable {
    /// Largest message accepted, in octets (SIZE, RFC 1870). `MAIL SIZE=` over it gets `552` at MAIL;
    /// a body that grows over it is consumed and refused with `552` at end of data.
    public var messageSize: Int
    /// Accepted recipients per transaction; the next gets `452 4.5.3`.
    public var recipients: Int
    /// Longest command line in octets, CRLF included. Longer lines get `500 5.5.2` and are discarded
    /// without being buffered. RFC 5321 §4.5.3.1.4 says 512; extensions' parameters need more.
    public var commandLineLength: Int

    public init(messageSize: Int = 10_485_760, recipients: Int = 1000, commandLineLength: Int = 1000) {
        self.messageSize = messageSize
        self.recipients = recipients
        self.commandLineLength = commandLineLength
    }
}

/// AUTH (RFC 4954) as the host offers it; the mechanisms are those the AUTH keyword advertises
/// (PLAIN, LOGIN and CRAM-MD5 are understood).
public struct AuthPolicy: Sendable, Equatable {
    /// Accounts that may log in: name → password.
    public var users: [String: String]
    /// Any name and password succeed (the default when no users are given).
    public var acceptAny: Bool
    /// AUTH before STARTTLS gets `538 5.7.11` (RFC 4954 §4).
    public var requireTLS: Bool

    public init(users: [String: String] = [:], acceptAny: Bool? = nil, requireTLS: Bool = false) {
        self.users = users
        self.acceptAny = acceptAny ?? users.isEmpty
        self.requireTLS = requireTLS
    }
}

/// The host's persona: who it says it is, what it advertises, what it enforces.
public struct SMTPServerConfiguration: Sendable, Equatable {
    /// The name in the greeting, the EHLO reply and error texts.
    public var hostname: String
    /// The greeting reply. A 4xx/5xx greeting is honoured: after `554` every command but QUIT gets `503`
    /// (RFC 5321 §3.1); after `421` the host closes.
    public var greeting: SMTPReply
    /// The EHLO keywords, verbatim and in order (they follow the hostname line).
    public var extensions: [String] {
        didSet { advertised = Self.index(extensions) }
    }
    public var limits: SMTPLimits
    public var lineEndings: LineEndingMode
    public var pipelining: PipeliningMode
    public var auth: AuthPolicy
    /// Mail commands before STARTTLS get `530 5.7.0 Must issue a STARTTLS command first` (RFC 3207 §4).
    public var requireTLS: Bool
    /// LMTP (RFC 2033) instead of SMTP: `LHLO` greets, and the end of data gets one reply per recipient. Set
    /// with ``useLMTP()``.
    public private(set) var isLMTP = false
    /// `extensions` by upper-case keyword, with their parameters upper-cased: `advertises` is asked for
    /// every command and MAIL parameter, and splitting the list each time cost more than the command.
    private var advertised: [String: [String]] = [:]

    public init(
        hostname: String = "mockmx.test",
        greeting: SMTPReply? = nil,
        extensions: [String]? = nil,
        limits: SMTPLimits = SMTPLimits(),
        lineEndings: LineEndingMode = .normalize,
        pipelining: PipeliningMode = .lenient,
        auth: AuthPolicy = AuthPolicy(),
        requireTLS: Bool = false
    ) {
        self.hostname = hostname
        self.greeting = greeting ?? SMTPReply(220, nil, "\(hostname) ESMTP mockmx")
        self.extensions = extensions ?? SMTPServerConfiguration.defaultExtensions(limits: limits)
        self.limits = limits
        self.lineEndings = lineEndings
        self.pipelining = pipelining
        self.auth = auth
        self.requireTLS = requireTLS
        self.advertised = Self.index(self.extensions)
    }

    /// A well-behaved modern MX.
    public static func defaultExtensions(limits: SMTPLimits) -> [String] {
        ["PIPELINING", "SIZE \(limits.messageSize)", "8BITMIME", "ENHANCEDSTATUSCODES"]
    }

    /// Speak LMTP. RFC 2033 §5 requires PIPELINING and ENHANCEDSTATUSCODES of every LMTP server, so they are
    /// advertised even when the persona leaves them out.
    public mutating func useLMTP() {
        isLMTP = true
        for keyword in ["PIPELINING", "ENHANCEDSTATUSCODES"] where !advertises(keyword) {
            extensions.append(keyword)
        }
    }

    /// Whether an EHLO keyword is advertised (case-insensitive on the keyword, ignoring its parameters).
    public func advertises(_ keyword: String) -> Bool {
        parameters(of: keyword) != nil
    }

    /// The parameters of an advertised keyword (`AUTH PLAIN LOGIN` → `["PLAIN", "LOGIN"]`), upper-cased;
    /// nil when the keyword is not advertised.
    public func parameters(of keyword: String) -> [String]? {
        advertised[keyword] ?? advertised[ASCII.uppercased(keyword)]
    }

    private static func index(_ extensions: [String]) -> [String: [String]] {
        var index: [String: [String]] = [:]
        for ext in extensions {
            let words = ext.split(separator: " ")
            guard let name = words.first else { continue }
            index[ASCII.uppercased(String(name)), default: []] += words.dropFirst().map { $0.uppercased() }
        }
        return index
    }
}
