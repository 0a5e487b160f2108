#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR notation (`127.0.0.0/8`, `::1/128`); a bare address is a /32 or /128.
///
/// An IPv4-mapped IPv6 client address (`::ffff:127.0.0.1`, what a dual-stack socket reports) is
/// compared as the IPv4 address it carries, so `client: 127.0.0.0/8` matches it too.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network address, 4 or 16 bytes, host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `ADDRESS[/PREFIX]`; nil when the address or prefix is not valid.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = AddressRange.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var prefixLength = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let parsed = Int(parts[1]), parsed <= maximum else { return nil }
            prefixLength = parsed
        }
        self.prefixLength = prefixLength
        self.network = AddressRange.masked(address, prefixLength: prefixLength)
    }

    /// Whether `address` (textual, as the transport reports it) lies in this range. An address that
    /// does not parse is in no range.
    public func contains(address: String) -> Bool {
        guard var bytes = AddressRange.parseAddress(address) else { return false }
        if network.count == 4, bytes.count == 16, bytes.prefix(12).elementsEqual(AddressRange.ipv4MappedPrefix) {
            bytes = Array(bytes.suffix(4))
        }
        guard bytes.count == network.count else { return false }
        return AddressRange.masked(bytes, prefixLength: prefixLength) == network
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = network.count == 4 ? AF_INET : AF_INET6
        network.withUnsafeBytes { raw in
            _ = inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(text)/\(prefixLength)"
    }

    private static let ipv4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    private static func parseAddress(_ text: String) -> [UInt8]? {
        var ipv4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &ipv4) == 1 { return ipv4 }
        var ipv6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, text, &ipv6) == 1 { return ipv6 }
        return nil
    }

    private static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsKept = min(max(prefixLength - index * 8, 0), 8)
            return bitsKept == 8 ? byte : byte & ~(UInt8(0xFF) >> bitsKept)
        }
    }
}
