#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `HOST:PORT` or `[IPV6]:PORT`, as listeners, the control API, the health probe and a scenario's other
/// hosts are written. Numeric hosts only (and `localhost`), so nothing depends on name resolution.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    /// Without brackets: `127.0.0.1`, `::1`.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:2525`, `[::1]:0`, `localhost:25` (as `127.0.0.1`); nil when there is no valid port
    /// or the host is not a numeric address.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        self.init(host: host, port: port)
        guard socketAddress != nil else { return nil }
    }

    /// The error text for an address that does not parse.
    public static func invalid(_ text: String) -> String {
        "'\(text)' is not an address with a port (use HOST:PORT or [IPV6]:PORT; port 0 picks a free one)"
    }

    public var isIPv6: Bool { host.contains(":") }

    /// `host:port`, with brackets for IPv6.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The socket address and its length, for `bind` and `connect`.
    public var socketAddress: (storage: sockaddr_storage, length: socklen_t)? {
        var storage = sockaddr_storage()
        let parsed = withUnsafeMutablePointer(to: &storage) { pointer in
            if isIPv6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    address.pointee.sin6_family = sa_family_t(AF_INET6)
                    address.pointee.sin6_port = port.bigEndian
                    return inet_pton(AF_INET6, host, &address.pointee.sin6_addr) == 1
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    address.pointee.sin_family = sa_family_t(AF_INET)
                    address.pointee.sin_port = port.bigEndian
                    return inet_pton(AF_INET, host, &address.pointee.sin_addr) == 1
                }
            }
        }
        guard parsed else { return nil }
        let length = isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        return (storage, socklen_t(length))
    }
}
