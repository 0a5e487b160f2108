#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The test domains the DNS responder is authoritative for, and what each answers. Every other name is
/// refused: mockmx is not a recursive resolver.
public struct DNSZone: Sendable, Equatable {
    /// The time to live of records whose domain and section state none.
    public static let defaultTTL: UInt32 = 300

    /// By name (``DomainName/description``).
    public private(set) var domains: [String: DNSDomain] = [:]

    public init() {}

    /// A domain defined twice, in two scenarios served together.
    public struct Conflict: Error, Equatable, CustomStringConvertible {
        public var name: String
        public init(name: String) { self.name = name }
        public var description: String { "the DNS domain '\(name)' is defined more than once" }
    }

    /// Adds or replaces one domain.
    public mutating func set(_ name: DomainName, _ domain: DNSDomain) {
        domains[name.description] = domain
    }

    /// Adds every domain of `other`; a name both define differently is a conflict, not a silent choice (one
    /// scenario on two listeners defines its domains twice, alike).
    public mutating func merge(_ other: DNSZone) throws(Conflict) {
        for name in other.domains.keys.sorted() where domains[name] != nil && domains[name] != other.domains[name] {
            throw Conflict(name: name)
        }
        domains.merge(other.domains) { own, _ in own }
    }
}

/// What one test domain answers.
public enum DNSDomain: Sendable, Equatable {
    /// Its records; a type it has none of gets an empty answer (NOERROR, "no data").
    case records(DNSRecordSet)
    /// NXDOMAIN, for it and every name below it.
    case nonexistent
    /// SERVFAIL.
    case serverFailure
    /// No reply at all: the resolver times out, as with an unreachable name server.
    case noAnswer
}

/// The records of one name.
public struct DNSRecordSet: Sendable, Equatable {
    public var ttl: UInt32
    public var ipv4: [IPAddress]
    public var ipv6: [IPAddress]
    public var mailExchangers: [MailExchanger]

    public init(
        ttl: UInt32 = DNSZone.defaultTTL, ipv4: [IPAddress] = [], ipv6: [IPAddress] = [],
        mailExchangers: [MailExchanger] = []
    ) {
        self.ttl = ttl
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.mailExchangers = mailExchangers
    }
}

/// An MX record: preference, lower first (RFC 5321 §5.1), and the host to connect to.
public struct MailExchanger: Sendable, Equatable {
    public var preference: UInt16
    public var host: DomainName

    public init(preference: UInt16, host: DomainName) {
        self.preference = preference
        self.host = host
    }

    /// `MX 0 .`: the domain accepts no mail (RFC 7505).
    public var isNull: Bool { host.isRoot && preference == 0 }

    /// The RDATA: preference in network order, then the host name uncompressed (RFC 1035 §3.3.9).
    public var wireFormat: [UInt8] {
        [UInt8(preference >> 8), UInt8(preference & 0xFF)] + host.wireFormat
    }

    /// `10 mx1.example.test.`, as dig prints it.
    public var text: String { "\(preference) \(host.isRoot ? "." : host.description + ".")" }

    /// `10 mx1.example.test` or `0 .`: the preference, blanks, the host.
    public init(parsing text: String) throws(DomainName.Invalid) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2, let preference = UInt16(words[0]) else {
            throw DomainName.Invalid(
                description:
                    "'\(text)' is not 'PREFERENCE HOST' (such as '10 mx1.example.test', or '0 .' for a null MX)")
        }
        self.init(preference: preference, host: try DomainName(parsing: String(words[1])))
        if host.isRoot && preference != 0 {
            throw DomainName.Invalid(description: "a null MX ('.') has preference 0 (RFC 7505), found \(preference)")
        }
    }
}

/// An IPv4 or IPv6 address in network byte order, with its usual text.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes.
    public let bytes: [UInt8]
    public let description: String

    /// A numeric IPv4 (`127.0.0.2`) or IPv6 (`::1`) address; nil for anything else.
    public init?(parsing text: String) {
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var buffer = [UInt8](repeating: 0, count: family == AF_INET6 ? 16 : 4)
        guard inet_pton(family, text, &buffer) == 1 else { return nil }
        var printed = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, buffer, &printed, socklen_t(printed.count)) != nil else { return nil }
        bytes = buffer
        description = printed.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    public var isIPv6: Bool { bytes.count == 16 }
}
