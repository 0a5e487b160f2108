import Foundation

/// A bare UDP DNS client: builds queries byte by byte (malformed ones too) and reads the header of a reply.
struct DNSClient {
    let port: Int

    struct Reply {
        var bytes: [UInt8]
        var id: UInt16 { UInt16(bytes[0]) << 8 | UInt16(bytes[1]) }
        var responseCode: Int { Int(bytes[3] & 0x0F) }
        var authoritative: Bool { bytes[2] & 0x04 != 0 }
        var answerCount: Int { Int(bytes[6]) << 8 | Int(bytes[7]) }
    }

    /// A standard query with recursion desired, as a stub resolver sends it.
    static func query(id: UInt16, name: String, type: UInt16, recordClass: UInt16 = 1) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += label.utf8
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), UInt8(recordClass >> 8), UInt8(recordClass & 0xFF)]
        return bytes
    }

    /// Sends `packet` from a fresh socket; the reply, or nil when none came within `timeout` seconds.
    func exchange(_ packet: [UInt8], timeout: Double = 2) throws -> Reply? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        let microseconds = Int(timeout * 1_000_000)
        var wait = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == packet.count else { throw POSIXError(.EIO) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let received = recv(fd, &buffer, buffer.count, 0)
        return received >= 12 ? Reply(bytes: Array(buffer.prefix(received))) : nil
    }
}
