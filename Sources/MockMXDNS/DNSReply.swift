/// Record types by their number (RFC 1035 §3.2.2, RFC 3596); others are shown as `TYPE<n>` (RFC 3597).
public enum DNSRecordType {
    public static let a: UInt16 = 1
    public static let mx: UInt16 = 15
    public static let aaaa: UInt16 = 28
    public static let any: UInt16 = 255
    /// The class of every record mockmx serves.
    public static let internetClass: UInt16 = 1
    public static let anyClass: UInt16 = 255

    private static let names: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 35: "NAPTR",
        43: "DS", 46: "RRSIG", 48: "DNSKEY", 52: "TLSA", 64: "SVCB", 65: "HTTPS", 255: "ANY",
    ]

    public static func name(_ type: UInt16) -> String { names[type] ?? "TYPE\(type)" }
}

/// The response codes mockmx sends (RFC 1035 §4.1.1).
public enum DNSResponseCode: Int, Sendable {
    case noError = 0
    case formatError = 1
    case serverFailure = 2
    case nameError = 3
    case refused = 5

    /// As dig prints it.
    public var name: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .refused: "REFUSED"
        }
    }
}

/// One record of an answer; its owner is the name asked for.
public struct DNSResourceRecord: Sendable, Equatable {
    public var type: UInt16
    public var ttl: UInt32
    /// RDATA as it goes on the wire.
    public var data: [UInt8]
    /// RDATA as dig prints it: `127.0.0.2`, `10 mx1.example.test.`.
    public var text: String
}

/// What the responder does with one question.
public struct DNSReply: Sendable, Equatable {
    /// Nil: no reply is sent (``DNSDomain/noAnswer``).
    public var responseCode: DNSResponseCode?
    public var answers: [DNSResourceRecord]
    /// Set for the test domains, whose records mockmx is the source of (RFC 1035 §4.1.1, AA).
    public var authoritative: Bool

    public static let refused = DNSReply(responseCode: .refused, answers: [], authoritative: false)
    public static let dropped = DNSReply(responseCode: nil, answers: [], authoritative: false)
}

extension DNSZone {
    /// The reply to a question for `name` (as ``DomainName/queried(_:)`` folds it) of `type` and `recordClass`.
    public func reply(name: String, type: UInt16, recordClass: UInt16) -> DNSReply {
        guard recordClass == DNSRecordType.internetClass || recordClass == DNSRecordType.anyClass else {
            return .refused
        }
        if let domain = domains[name] { return Self.reply(domain, type: type) }
        // Below a test domain: the name does not exist there, unless the domain itself fails as a whole.
        var suffix = Substring(name)
        while let dot = suffix.firstIndex(of: ".") {
            suffix = suffix[suffix.index(after: dot)...]
            guard let domain = domains[String(suffix)] else { continue }
            switch domain {
            case .records, .nonexistent: return DNSReply(responseCode: .nameError, answers: [], authoritative: true)
            case .serverFailure, .noAnswer: return Self.reply(domain, type: type)
            }
        }
        return .refused
    }

    private static func reply(_ domain: DNSDomain, type: UInt16) -> DNSReply {
        switch domain {
        case .nonexistent: return DNSReply(responseCode: .nameError, answers: [], authoritative: true)
        case .serverFailure: return DNSReply(responseCode: .serverFailure, answers: [], authoritative: false)
        case .noAnswer: return .dropped
        case let .records(records):
            var answers: [DNSResourceRecord] = []
            if type == DNSRecordType.mx || type == DNSRecordType.any {
                answers += records.mailExchangers.map {
                    DNSResourceRecord(type: DNSRecordType.mx, ttl: records.ttl, data: $0.wireFormat, text: $0.text)
                }
            }
            if type == DNSRecordType.a || type == DNSRecordType.any {
                answers += records.ipv4.map {
                    DNSResourceRecord(type: DNSRecordType.a, ttl: records.ttl, data: $0.bytes, text: $0.description)
                }
            }
            if type == DNSRecordType.aaaa || type == DNSRecordType.any {
                answers += records.ipv6.map {
                    DNSResourceRecord(type: DNSRecordType.aaaa, ttl: records.ttl, data: $0.bytes, text: $0.description)
                }
            }
            return DNSReply(responseCode: .noError, answers: answers, authoritative: true)
        }
    }
}
