import CLibEvent
import Foundation

/// `HOST:PORT` / `[V6]:PORT` parsing and rendering for listeners.
enum SocketAddress {
    /// Parses `127.0.0.1:2525`, `[::1]:0`, `localhost:25`, `0.0.0.0:25` (numeric hosts only, so a
    /// listener never depends on name resolution).
    static func parse(_ text: String) throws -> sockaddr_storage {
        let invalid = HostError(
            "'\(text)' is not an address with a port (use HOST:PORT or [IPV6]:PORT; port 0 picks a free one)")
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw invalid
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        var storage = sockaddr_storage()
        if host.contains(":") {
            try withUnsafeMutablePointer(to: &storage) { pointer in
                try pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    address.pointee.sin6_family = sa_family_t(AF_INET6)
                    address.pointee.sin6_port = port.bigEndian
                    guard inet_pton(AF_INET6, host, &address.pointee.sin6_addr) == 1 else { throw invalid }
                }
            }
        } else {
            try withUnsafeMutablePointer(to: &storage) { pointer in
                try pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    address.pointee.sin_family = sa_family_t(AF_INET)
                    address.pointee.sin_port = port.bigEndian
                    guard inet_pton(AF_INET, host, &address.pointee.sin_addr) == 1 else { throw invalid }
                }
            }
        }
        return storage
    }

    /// The numeric host and port of a socket address.
    static func describe(_ address: UnsafePointer<sockaddr>) -> (host: String, port: Int) {
        var hostBuffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var portBuffer = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let length = address.pointee.sa_family == sa_family_t(AF_INET6)
            ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        getnameinfo(
            address, socklen_t(length), &hostBuffer, socklen_t(hostBuffer.count), &portBuffer,
            socklen_t(portBuffer.count), NI_NUMERICHOST | NI_NUMERICSERV)
        let host = hostBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let port = portBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (host, Int(port) ?? 0)
    }

    /// `host:port`, with brackets for IPv6.
    static func name(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
