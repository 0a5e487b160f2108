/// Commands this host implements.
enum SMTPCommand: String, CaseIterable {
    case helo = "HELO", ehlo = "EHLO", mail = "MAIL", rcpt = "RCPT", data = "DATA", rset = "RSET"
    case noop = "NOOP", quit = "QUIT", vrfy = "VRFY", expn = "EXPN", help = "HELP"
    case xexch50 = "XEXCH50", starttls = "STARTTLS", auth = "AUTH", bdat = "BDAT"
    case lhlo = "LHLO"

    /// The command a verb names, in any case; nil for one this host does not implement. Compared as packed
    /// integers: a `String` switch on every command line cost more than the rest of its parsing.
    init?<C: Collection>(verb: C) where C.Element == UInt8 {
        guard let key = ASCII.uppercasedKey(verb), let index = SMTPCommand.keys.firstIndex(of: key) else {
            return nil
        }
        self = SMTPCommand.allCases[index]
    }

    private static let keys = allCases.map { ASCII.uppercasedKey($0.rawValue.utf8)! }

    /// The event's name in scenario files (`on:`).
    var eventName: String {
        switch self {
        case .helo: "helo"
        case .ehlo: "ehlo"
        case .mail: "mail"
        case .rcpt: "rcpt"
        case .data: "data"
        case .rset: "rset"
        case .noop: "noop"
        case .quit: "quit"
        case .vrfy: "vrfy"
        case .expn: "expn"
        case .help: "help"
        case .xexch50: "xexch50"
        case .starttls: "starttls"
        case .auth: "auth"
        case .bdat: "bdat"
        case .lhlo: "lhlo"
        }
    }

    /// Commands tied to an extension exist only while it is advertised; to anyone else they are unknown.
    func isEnabled(by configuration: SMTPServerConfiguration) -> Bool {
        switch self {
        case .xexch50: configuration.advertises("XEXCH50")
        case .starttls: configuration.advertises("STARTTLS")
        case .auth: configuration.advertises("AUTH")
        case .bdat: configuration.advertises("CHUNKING")
        case .lhlo: configuration.isLMTP
        default: true
        }
    }

    /// What a host that requires TLS refuses before STARTTLS.
    var needsTLSWhenRequired: Bool {
        switch self {
        case .mail, .rcpt, .data, .bdat, .xexch50, .auth, .vrfy, .expn: true
        default: false
        }
    }

    /// RFC 2920 §3.1: RSET, MAIL and RCPT (and BDAT, RFC 3030) may appear anywhere in a pipelined group.
    var mayBePipelinedMidGroup: Bool {
        switch self {
        case .rset, .mail, .rcpt, .bdat: true
        default: false
        }
    }
}

/// A command argument's decimal number (sizes, counts); nil unless all digits and at most 18 of them.
func decimal<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
    }
    return value
}
