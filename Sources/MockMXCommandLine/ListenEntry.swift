/// One `--listen` argument or `MOCKMX_LISTEN` entry: `[SCHEME://]ADDRESS[=SCENARIO]`, scheme `smtp` (the
/// default), `smtps` or `lmtp`.
public struct ListenEntry: Sendable, Equatable {
    /// `HOST:PORT`, `[IPV6]:PORT` or `unix:/PATH`, checked when it is bound.
    public var address: String
    /// A bundled scenario name or a YAML file; nil for the default persona.
    public var scenario: String?
    /// `smtps://`: TLS from the first byte.
    public var implicitTLS: Bool
    /// `lmtp://`: LMTP (RFC 2033) instead of SMTP.
    public var lmtp: Bool

    public init(address: String, scenario: String? = nil, implicitTLS: Bool = false, lmtp: Bool = false) {
        self.address = address
        self.scenario = scenario
        self.implicitTLS = implicitTLS
        self.lmtp = lmtp
    }

    /// `smtps://127.0.0.1:465=greylist` → address, scenario, implicit TLS; `lmtp://unix:/run/mx.sock` → LMTP on a
    /// unix-domain socket. The address may hold colons (IPv6); an explicit `smtp://` is accepted and changes
    /// nothing.
    public init(parsing argument: String) {
        var text = Substring(argument)
        implicitTLS = text.hasPrefix("smtps://")
        lmtp = text.hasPrefix("lmtp://")
        if implicitTLS {
            text = text.dropFirst("smtps://".count)
        } else if lmtp {
            text = text.dropFirst("lmtp://".count)
        } else if text.hasPrefix("smtp://") {
            text = text.dropFirst("smtp://".count)
        }
        guard let equals = text.firstIndex(of: "=") else {
            address = String(text)
            scenario = nil
            return
        }
        address = String(text[..<equals])
        scenario = String(text[text.index(after: equals)...])
    }

    /// `MOCKMX_LISTEN`: entries separated by commas and/or whitespace (newlines included, so a YAML block
    /// scalar in a compose file or pod spec works).
    public static func list(parsing value: String) -> [ListenEntry] {
        value.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map { ListenEntry(parsing: String($0)) }
    }
}
