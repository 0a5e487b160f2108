internal import Yams
import MockMXDNS

extension ScenarioDocumentDecoder {
    static let dnsKeys = ["ttl", "domains"]
    static let dnsDomainKeys = ["a", "aaaa", "mx", "ttl"]

    /// What a domain answers when it has no records: the names a user writes for each.
    enum DNSDomainFailure: String, CaseIterable {
        case nxdomain, servfail
        case noAnswer = "no-answer"

        var domain: DNSDomain {
            switch self {
            case .nxdomain: .nonexistent
            case .servfail: .serverFailure
            case .noAnswer: .noAnswer
            }
        }
    }

    /// `dns:` — the test domains the DNS responder (`serve --dns`) answers for:
    /// `{ttl: SECONDS, domains: {NAME: {a, aaaa, mx, ttl} | nxdomain | servfail | no-answer}}`.
    mutating func decodeDNS(_ node: Node) -> DNSZone? {
        guard let fields = fields(of: node, path: "dns", keys: Self.dnsKeys) else { return nil }
        var ttl = DNSZone.defaultTTL
        if let node = fields["ttl"] {
            ttl = timeToLive(node, path: "dns.ttl") ?? ttl
        }
        var zone = DNSZone()
        guard let domainsNode = fields["domains"] else {
            report(fields.node, path: "dns", "names no domains (add 'domains:' with the test domains to answer for)")
            return nil
        }
        guard case let .mapping(mapping) = domainsNode else {
            report(
                domainsNode, path: "dns.domains", "expected a mapping of domain names, found \(describe(domainsNode))")
            return nil
        }
        var firstSeen: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case let .scalar(keyScalar) = keyNode, !isNull(keyNode) else {
                report(keyNode, path: "dns.domains", "a domain name must be a string, found \(describe(keyNode))")
                continue
            }
            let path = "dns.domains.\(keyScalar.string)"
            let name: DomainName
            do {
                name = try DomainName(parsing: keyScalar.string)
            } catch {
                report(keyNode, path: path, "not a domain name: \(error)")
                continue
            }
            guard !name.isRoot else {
                report(keyNode, path: path, "the root cannot be a test domain (mockmx refuses what it does not own)")
                continue
            }
            if let first = firstSeen[name.description] {
                let place = first.mark.map { " (first at \($0.line):\($0.column))" } ?? ""
                report(keyNode, path: path, "'\(name)' is given twice\(place); names compare without case")
                continue
            }
            firstSeen[name.description] = keyNode
            if let domain = decodeDNSDomain(value, path: path, ttl: ttl) { zone.set(name, domain) }
        }
        return zone
    }

    private mutating func decodeDNSDomain(_ node: Node, path: String, ttl: UInt32) -> DNSDomain? {
        if case .scalar = node, !isNull(node) {
            return enumeration(node, path: path, as: DNSDomainFailure.self)?.domain
        }
        guard let fields = fields(of: node, path: path, keys: Self.dnsDomainKeys) else { return nil }
        var records = DNSRecordSet(ttl: ttl)
        if let node = fields["ttl"] {
            records.ttl = timeToLive(node, path: "\(path).ttl") ?? ttl
        }
        if let node = fields["a"] {
            records.ipv4 = addresses(node, path: "\(path).a", ipv6: false)
        }
        if let node = fields["aaaa"] {
            records.ipv6 = addresses(node, path: "\(path).aaaa", ipv6: true)
        }
        if let node = fields["mx"] {
            records.mailExchangers = mailExchangers(node, path: "\(path).mx")
        }
        return .records(records)
    }

    /// Seconds, 0 to 2^31 - 1 (RFC 2181 §8).
    private mutating func timeToLive(_ node: Node, path: String) -> UInt32? {
        guard let seconds = integer(node, path: path, minimum: 0) else { return nil }
        guard seconds <= Int(Int32.max) else {
            report(node, path: path, "a TTL is at most \(Int32.max) seconds (RFC 2181), found \(seconds)")
            return nil
        }
        return UInt32(seconds)
    }

    /// One string or a list of them, each with its node and path.
    private mutating func oneOrMany(_ node: Node, path: String) -> [(value: String, node: Node, path: String)] {
        if case .sequence = node {
            return (stringList(node, path: path) ?? []).enumerated().map { ($1.value, $1.node, "\(path)[\($0)]") }
        }
        return string(node, path: path).map { [($0, node, path)] } ?? []
    }

    private mutating func addresses(_ node: Node, path: String, ipv6: Bool) -> [IPAddress] {
        let kind = ipv6 ? "an IPv6 address such as '::1' (for an IPv4 address use 'a:')"
            : "an IPv4 address such as 127.0.0.2 (for an IPv6 address use 'aaaa:')"
        return oneOrMany(node, path: path).compactMap { item in
            guard let address = IPAddress(parsing: item.value), address.isIPv6 == ipv6 else {
                report(item.node, path: item.path, "expected \(kind), found '\(item.value)'")
                return nil
            }
            return address
        }
    }

    private mutating func mailExchangers(_ node: Node, path: String) -> [MailExchanger] {
        var found: [(exchanger: MailExchanger, node: Node, path: String)] = []
        for item in oneOrMany(node, path: path) {
            do {
                let exchanger = try MailExchanger(parsing: item.value)
                // An MX names a host, never an address (RFC 5321 §5.1); an address here is a common slip.
                if let last = exchanger.host.labels.last, last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    report(item.node, path: item.path,
                           "'\(exchanger.host)' is an address; an MX names a host: give it a name with an 'a:' record")
                    continue
                }
                found.append((exchanger, item.node, item.path))
            } catch {
                report(item.node, path: item.path, "\(error)")
            }
        }
        if found.count > 1, let null = found.first(where: { $0.exchanger.isNull }) {
            report(null.node, path: null.path, "a null MX ('0 .') must be the domain's only MX record (RFC 7505)")
        }
        return found.map(\.exchanger)
    }
}
