import CLibEvent
import Foundation
import MockMXScenario

/// The listening sockets — SMTP listeners and the control API — bound one way: the ``HostPort`` syntax, and
/// the address actually bound read back (port 0 picks a free one).
enum SocketAddress {
    /// A bound libevent listener on `address`; `callback` gets each accepted connection (nil: the owner, such
    /// as evhttp, accepts). Throws what is wrong, naming `purpose`.
    static func listen(
        on address: String, base: OpaquePointer, backlog: Int32, purpose: String,
        callback: evconnlistener_cb? = nil, context: UnsafeMutableRawPointer? = nil
    ) throws -> (listener: OpaquePointer, bound: BoundAddress) {
        guard var (storage, length) = HostPort(address)?.socketAddress else { throw HostError(HostPort.invalid(address)) }
        let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC
        let listener = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(base, callback, context, UInt32(flags), backlog, $0, Int32(length))
            }
        }
        guard let listener else {
            throw HostError("cannot \(purpose) on \(address): \(String(cString: strerror(errno)))")
        }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let (host, port) = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = getsockname(evconnlistener_get_fd(listener), $0, &boundLength)
                return describe($0)
            }
        }
        let name = HostPort(host: host, port: UInt16(port)).description
        return (listener, BoundAddress(host: host, port: port, name: name))
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
}
