/// A domain name as DNS compares it: ASCII letters folded to lower case (RFC 4343), no trailing dot; the
/// root is the empty name, written `.`.
public struct DomainName: Hashable, Sendable, CustomStringConvertible {
    /// Labels in order, lower-cased; empty for the root.
    public let labels: [String]

    /// Why text is not a domain name mockmx will serve.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The longest name on the wire, length bytes and terminating zero included (RFC 1035 §2.3.4).
    public static let maximumWireLength = 255
    public static let maximumLabelLength = 63

    public static let root = DomainName(checkedLabels: [])

    private init(checkedLabels: [String]) {
        labels = checkedLabels
    }

    /// `mx1.example.test`, `mx1.example.test.` or `.` (the root, for a null MX). Labels are letters, digits,
    /// hyphens and underscores (`_dmarc`), at most 63 bytes each, 255 on the wire in all.
    public init(parsing text: String) throws(Invalid) {
        guard text != "." else {
            self = .root
            return
        }
        guard !text.isEmpty else { throw Invalid(description: "an empty name (the root is written '.')") }
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        var labels: [String] = []
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw Invalid(description: "'\(text)' has an empty label") }
            guard label.utf8.count <= Self.maximumLabelLength else {
                throw Invalid(description: "'\(label)' is longer than \(Self.maximumLabelLength) bytes")
            }
            guard label.utf8.allSatisfy(Self.isNameByte) else {
                throw Invalid(description: "'\(label)' holds a character other than a letter, digit, '-' or '_'")
            }
            guard label.utf8.first != UInt8(ascii: "-"), label.utf8.last != UInt8(ascii: "-") else {
                throw Invalid(description: "'\(label)' starts or ends with '-'")
            }
            labels.append(String(decoding: label.utf8.map(Self.lowercased), as: UTF8.self))
        }
        let name = DomainName(checkedLabels: labels)
        guard name.wireLength <= Self.maximumWireLength else {
            throw Invalid(description: "'\(text)' is longer than \(Self.maximumWireLength) bytes on the wire")
        }
        self = name
    }

    /// The name a query carried, as libevent decoded it (labels joined by dots), folded like configured names so
    /// it can be looked up; bytes no configured name holds just never match.
    public static func queried(_ bytes: some Sequence<UInt8>) -> String {
        var folded = bytes.map(lowercased)
        if folded.last == UInt8(ascii: ".") { folded.removeLast() }
        return String(decoding: folded, as: UTF8.self)
    }

    public var isRoot: Bool { labels.isEmpty }

    /// `mx1.example.test`, or `.` for the root.
    public var description: String { isRoot ? "." : labels.joined(separator: ".") }

    /// Length-prefixed labels and the terminating zero byte (RFC 1035 §3.1), uncompressed.
    public var wireFormat: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(wireLength)
        for label in labels {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: label.utf8)
        }
        bytes.append(0)
        return bytes
    }

    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.utf8.count } }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
