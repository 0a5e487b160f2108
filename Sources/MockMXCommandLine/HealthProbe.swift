import Foundation
import MockMXScenario

/// `GET /healthz` over a plain POSIX socket with HTTP/1.0: the container's health check must not need curl,
/// and URLSession would pull libcurl into the runtime image.
public struct HealthProbe: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// A line for the person or log that asked.
        case healthy(String)
        /// Why not, in one line.
        case unhealthy(String)
    }

    /// `HOST:PORT` as `serve` was told it (a wildcard host means this machine).
    public var address: String
    public var token: String?
    public var timeout: Duration

    /// The largest answer read; `/healthz` is a few hundred bytes.
    static let responseLimit = 1 << 20

    public init(address: String, token: String? = nil, timeout: Duration = .seconds(2)) {
        self.address = address
        self.token = token
        self.timeout = timeout
    }

    public func run() -> Outcome {
        guard let target = HealthProbe.target(address) else {
            return .unhealthy("'\(address)' is not an address with a port (use HOST:PORT or [IPV6]:PORT)")
        }
        guard target.port != 0 else {
            return .unhealthy(
                "the API address \(address) has port 0, chosen only at start; give the bound port, or the ready file")
        }
        let authority = target.description
        let url = "http://\(authority)/healthz"
        var request = "GET /healthz HTTP/1.0\r\nHost: \(authority)\r\nUser-Agent: mockmx-health\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        do {
            let response = try HealthProbe.exchange(Array(request.utf8), with: target, deadline: .now + timeout)
            return HealthProbe.evaluate(response, from: url)
        } catch {
            return .unhealthy("\(url): \(error)")
        }
    }

    /// The status line must say 200 and the body `"status":"ok"`.
    static func evaluate(_ response: [UInt8], from url: String) -> Outcome {
        let separator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        guard let headerEnd = response.firstRange(of: separator) else {
            return .unhealthy("\(url): the answer is not HTTP (\(response.count) byte(s), no end of headers)")
        }
        let statusLine = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self)
            .split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .unhealthy("\(url): the answer is not HTTP ('\(statusLine)')")
        }
        guard status == 200 else { return .unhealthy("\(url): HTTP \(status)") }
        let body = Data(response[headerEnd.upperBound...])
        guard let report = try? JSONDecoder().decode(Report.self, from: body) else {
            return .unhealthy("\(url): the body is not a JSON object")
        }
        guard report.status == "ok" else {
            return .unhealthy("\(url): status is \(report.status.map { "'\($0)'" } ?? "missing"), not 'ok'")
        }
        return .healthy("\(url): ok, \(report.listeners?.count ?? 0) SMTP listener(s)")
    }

    /// What the probe reads of `/healthz`'s answer.
    private struct Report: Decodable {
        /// Any JSON object: only the listeners' number is reported.
        struct Listener: Decodable {}
        var status: String?
        var listeners: [Listener]?
    }

    /// Where to connect: `0.0.0.0` and `::` (what a container binds) mean this machine, as does `localhost`.
    static func target(_ address: String) -> HostPort? {
        // An empty host (`:8025`) means this machine too.
        guard var target = HostPort(address.hasPrefix(":") ? "127.0.0.1" + address : address) else { return nil }
        switch target.host {
        case "0.0.0.0": target.host = "127.0.0.1"
        case "::": target.host = "::1"
        default: break
        }
        return target
    }

    /// Why the probe could not ask or got no good answer, in one line.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    static func exchange(
        _ request: [UInt8], with target: HostPort, deadline: ContinuousClock.Instant
    ) throws(Failure) -> [UInt8] {
        let fd = try connect(to: target, deadline: deadline)
        defer { close(fd) }
        var offset = 0
        while offset < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "sending the request")
            let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0, errno != EAGAIN, errno != EINTR { throw Failure(description: "send: \(systemError())") }
            offset += max(sent, 0)
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while response.count < responseLimit {
            try wait(fd, for: Int16(POLLIN), until: deadline, doing: "waiting for the answer")
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { break }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(description: "receive: \(systemError())")
            }
            response += chunk[..<count]
        }
        return response
    }

    /// A non-blocking connect, so a host that drops the SYN costs the timeout, not the kernel's minutes.
    private static func connect(
        to target: HostPort, deadline: ContinuousClock.Instant
    ) throws(Failure) -> Int32 {
        guard var (storage, length) = target.socketAddress else {
            throw Failure(description: "'\(target.host)' is not a numeric address")
        }
        let family = target.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(systemError())") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(length)) }
        }
        do throws(Failure) {
            if result != 0 {
                guard errno == EINPROGRESS else { throw Failure(description: "connect: \(systemError())") }
                try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "connecting")
                var error: Int32 = 0
                var errorLength = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &errorLength)
                guard error == 0 else { throw Failure(description: "connect: \(String(cString: strerror(error)))") }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    private static func wait(
        _ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant, doing what: String
    ) throws(Failure) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let (seconds, attoseconds) = remaining.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            guard milliseconds > 0 else { throw Failure(description: "timed out \(what)") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(milliseconds, Int64(Int32.max))))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw Failure(description: "poll: \(systemError())") }
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

extension HealthProbe {
    /// Where `mockmx health` asks. A ready file is what the running `serve` reports about itself, so when one
    /// is given (`--ready-file`, or `MOCKMX_READY_FILE` unless `--api` is on the command line) its API address
    /// is the answer, whatever `--api`, `MOCKMX_API` or the default say; else the address `serve` was told,
    /// which cannot have port 0 (only the ready file knows the port it got).
    public static func apiAddress(
        settings: ServeSettings, flags: ServeSettings.Flags
    ) -> Result<String, Failure> {
        if let readyFile = settings.readyFile, flags.readyFile != nil || flags.api == nil {
            return apiAddress(fromReadyFile: readyFile)
        }
        guard let address = settings.apiAddress else {
            return .failure(Failure(description: "the control API is switched off ('none'); health needs it"))
        }
        guard !address.hasSuffix(":0") else {
            return .failure(Failure(
                description: "the API address \(address) has port 0; give the ready file, which names the port it got"))
        }
        return .success(address)
    }

    /// The API address a running `serve` wrote to its ready file (`"api": {"address", "host", "port"}`).
    public static func apiAddress(fromReadyFile path: String) -> Result<String, Failure> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(
                Failure(description: "cannot read the ready file \(path) (is serve running and listening?)"))
        }
        let readyFile: ReadyFile
        do throws(ReadyFile.Malformed) {
            readyFile = try ReadyFile(json: data)
        } catch {
            return .failure(Failure(description: "\(path) is not a ready file: \(error)"))
        }
        guard let api = readyFile.api else {
            return .failure(Failure(description: "the ready file \(path) says the control API is switched off"))
        }
        return .success(api.address)
    }
}
