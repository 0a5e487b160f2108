/// One `--listen` argument or `MOCKMX_LISTEN` entry: `[smtps://]ADDRESS[=SCENARIO]`.
public struct ListenEntry: Sendable, Equatable {
    /// `HOST:PORT` or `[IPV6]:PORT`, checked when it is bound.
    public var address: String
    /// A bundled scenario name or a YAML file; nil for the default persona.
    public var scenario: String?
    /// `smtps://`: TLS from the first byte.
    public var implicitTLS: Bool

    public init(address: String, scenario: String? = nil, implicitTLS: Bool = false) {
        self.address = address
        self.scenario = scenario
        self.implicitTLS = implicitTLS
    }

    /// `smtps://127.0.0.1:465=greylist` → address, scenario, implicit TLS. The address may hold colons (IPv6);
    /// an explicit `smtp://` is accepted and changes nothing.
    public init(parsing argument: String) {
        var text = Substring(argument)
        implicitTLS = text.hasPrefix("smtps://")
        if implicitTLS {
            text = text.dropFirst("smtps://".count)
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
