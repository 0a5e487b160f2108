import CLibEvent
import Foundation
import MockMXDNS
import MockMXScenario
import MockMXVerdicts

/// The authoritative UDP DNS responder for the test domains: libevent's evdns server on the host's loop
/// parses each request (it drops malformed ones; a socket filter drops those too short for its parser), the
/// pure ``DNSZone`` decides the reply, and this class only encodes it. Loop-confined after `init`.
final class DNSResponder {
    private(set) var host = ""
    private(set) var port = 0
    private var serverPort: OpaquePointer?
    private let zone: DNSZone
    private let log: DNSQueryLog
    private let handler: (@Sendable (DNSQueryRecord) -> Void)?
    /// With `--spool`, every query is also a line of `DIR/dns.jsonl`, so `mockmx verdicts DIR` judges the MX checks.
    private let spool: DNSSpool?

    init(
        loop: EventLoop, address: String, zone: DNSZone, log: DNSQueryLog,
        handler: (@Sendable (DNSQueryRecord) -> Void)?, spool: URL? = nil
    ) throws {
        self.zone = zone
        self.log = log
        self.handler = handler
        self.spool = spool.map(DNSSpool.init)
        guard let parsed = HostPort(address), var (storage, length) = parsed.socketAddress else {
            throw HostError(HostPort.invalid(address))
        }
        let fd = socket(parsed.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HostError("cannot open a UDP socket for DNS: \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, length) }
        }
        #if os(Linux)
        let filtered = mockmx_drop_datagrams_shorter_than(fd, 12) == 0
        #else
        let filtered = true
        #endif
        guard bound == 0, filtered, evutil_make_socket_nonblocking(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw HostError("cannot serve DNS on \(address): \(reason)")
        }
        var boundAddress = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &boundAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &boundLength) }
        }
        (host, port) = withUnsafePointer(to: &boundAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress.describe($0) }
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        serverPort = evdns_add_server_port_with_base(loop.base, fd, 0, { request, context in
            Unmanaged<DNSResponder>.fromOpaque(context!).takeUnretainedValue().answer(request!)
        }, context)
        guard serverPort != nil else {
            Glibc.close(fd)
            throw HostError("cannot serve DNS on \(address): evdns_add_server_port_with_base failed")
        }
    }

    var name: String { HostPort(host: host, port: UInt16(port)).description }

    /// Stops answering; the port closes its socket.
    func close() {
        if let serverPort { evdns_close_server_port(serverPort) }
        serverPort = nil
    }

    private func answer(_ request: UnsafeMutablePointer<evdns_server_request>) {
        var client = sockaddr_storage()
        let clientText = withUnsafeMutablePointer(to: &client) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                evdns_server_request_get_requesting_addr(
                    request, address, Int32(MemoryLayout<sockaddr_storage>.size)) > 0
                    ? SocketAddress.describe(address).host : ""
            }
        }
        // Resolvers ask one question per query (RFC 9619); anything else is refused as malformed.
        guard mockmx_dns_question_count(request) == 1, let namePointer = mockmx_dns_question_name(request, 0) else {
            record(DNSQueryRecord(
                time: Date(), client: clientText, name: "", type: "", responseCode: DNSResponseCode.formatError.name,
                answers: []))
            evdns_server_request_respond(request, Int32(DNSResponseCode.formatError.rawValue))
            return
        }
        let type = UInt16(truncatingIfNeeded: mockmx_dns_question_type(request, 0))
        let recordClass = UInt16(truncatingIfNeeded: mockmx_dns_question_class(request, 0))
        let askedName = String(cString: namePointer)
        let queried = DomainName.queried(UnsafeRawBufferPointer(start: namePointer, count: strlen(namePointer)))
        let reply = zone.reply(name: queried, type: type, recordClass: recordClass)
        record(DNSQueryRecord(
            time: Date(), client: clientText, name: askedName, type: DNSRecordType.name(type),
            responseCode: reply.responseCode?.name, answers: reply.answers.map { $0.text }))
        guard let responseCode = reply.responseCode else {
            evdns_server_request_drop(request)
            return
        }
        for record in reply.answers {
            let added = record.data.withUnsafeBytes { data in
                evdns_server_request_add_reply(
                    request, Int32(EVDNS_ANSWER_SECTION), namePointer, Int32(record.type),
                    Int32(DNSRecordType.internetClass), Int32(record.ttl), Int32(record.data.count), 0,
                    data.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            // Only fails when out of memory; the reply then goes out with the records added so far.
            if added != 0 { break }
        }
        if reply.authoritative { evdns_server_request_set_flags(request, Int32(EVDNS_FLAGS_AA)) }
        evdns_server_request_respond(request, Int32(responseCode.rawValue))
    }

    private func record(_ query: DNSQueryRecord) {
        log.append(query)
        spool?.append(query.lookup)
        handler?(query)
    }
}
