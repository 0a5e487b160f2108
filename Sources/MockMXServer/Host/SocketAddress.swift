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
        if let path = unixSocketPath(address) {
            return try listen(onUnixSocket: path, base: base, backlog: backlog, purpose: purpose, callback: callback,
                context: context)
        }
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

    /// `/run/mx.sock` for `unix:/run/mx.sock`; nil for any other address.
    static func unixSocketPath(_ address: String) -> String? {
        address.hasPrefix("unix:") ? String(address.dropFirst("unix:".count)) : nil
    }

    /// A listener on a unix-domain socket, named `unix:PATH`. A socket file left by an earlier run is replaced;
    /// a socket someone still listens on, or a file that is no socket, is an error.
    private static func listen(
        onUnixSocket path: String, base: OpaquePointer, backlog: Int32, purpose: String,
        callback: evconnlistener_cb?, context: UnsafeMutableRawPointer?
    ) throws -> (listener: OpaquePointer, bound: BoundAddress) {
        let name = "unix:\(path)"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.hasPrefix("/"), path.utf8.count < capacity else {
            throw HostError("cannot \(purpose) on \(name): give an absolute path shorter than \(capacity) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
        }
        try removeStaleSocket(path, address: address, name: name, purpose: purpose)
        let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
        let listener = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(
                    base, callback, context, UInt32(flags), backlog, $0, Int32(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard let listener else {
            throw HostError("cannot \(purpose) on \(name): \(String(cString: strerror(errno)))")
        }
        return (listener, BoundAddress(host: name, port: 0, name: name))
    }

    private static func removeStaleSocket(_ path: String, address: sockaddr_un, name: String, purpose: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw HostError("cannot \(purpose) on \(name): the path exists and is not a socket")
        }
        // A socket that still accepts belongs to a running server; only a dead one's file is removed.
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = address
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
        if connected { throw HostError("cannot \(purpose) on \(name): another server is listening there") }
        guard unlink(path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw HostError("cannot \(purpose) on \(name): cannot remove the old socket: \(reason)")
        }
    }

    /// The numeric host and port of a socket address.
    static func describe(_ address: UnsafePointer<sockaddr>) -> (host: String, port: Int) {
        // A unix-domain peer has no address of its own worth showing (usually unbound).
        if address.pointee.sa_family == sa_family_t(AF_UNIX) { return ("unix:", 0) }
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
