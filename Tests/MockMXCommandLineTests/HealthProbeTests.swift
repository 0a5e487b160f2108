import Foundation
import Testing

@testable import MockMXCommandLine
import MockMXScenario

@Suite struct HealthProbeTests {
    private let url = "http://127.0.0.1:8025/healthz"

    private func evaluate(_ text: String) -> HealthProbe.Outcome {
        HealthProbe.evaluate(Array(text.utf8), from: url)
    }

    @Test func okWithStatusOkIsHealthy() {
        let answer = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
            + #"{"status":"ok","listeners":[{},{}]}"#
        #expect(evaluate(answer) == .healthy("\(url): ok, 2 SMTP listener(s)"))
    }

    @Test func anythingElseIsUnhealthyWithAReason() {
        #expect(evaluate("HTTP/1.1 503 Service Unavailable\r\n\r\n{}") == .unhealthy("\(url): HTTP 503"))
        #expect(
            evaluate("HTTP/1.0 200 OK\r\n\r\n{\"status\":\"stopping\"}")
                == .unhealthy("\(url): status is 'stopping', not 'ok'"))
        #expect(evaluate("HTTP/1.0 200 OK\r\n\r\n<html>") == .unhealthy("\(url): the body is not a JSON object"))
        #expect(evaluate("SSH-2.0-OpenSSH\r\n\r\n") == .unhealthy("\(url): the answer is not HTTP ('SSH-2.0-OpenSSH')"))
        #expect(evaluate("") == .unhealthy("\(url): the answer is not HTTP (0 byte(s), no end of headers)"))
    }

    @Test func aWildcardAddressIsAskedOnThisMachine() {
        #expect(HealthProbe.target("0.0.0.0:8025") == HostPort(host: "127.0.0.1", port: 8025))
        #expect(HealthProbe.target("[::]:8025") == HostPort(host: "::1", port: 8025))
        #expect(HealthProbe.target("localhost:1") == HostPort(host: "127.0.0.1", port: 1))
        #expect(HealthProbe.target("[::1]:9") == HostPort(host: "::1", port: 9))
        #expect(HealthProbe.target("10.1.2.3:80") == HostPort(host: "10.1.2.3", port: 80))
        #expect(HealthProbe.target(":8025") == HostPort(host: "127.0.0.1", port: 8025))
        #expect(HealthProbe.target("nowhere") == nil)
        #expect(HealthProbe.target("mx.example:25") == nil)
        #expect(HealthProbe.target("h:99999") == nil)
    }

    @Test func nothingListeningIsUnhealthyAtOnce() throws {
        // A port just bound and closed again is free and refuses the connection.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length)
                return getsockname(fd, $0, &length)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
        let outcome = HealthProbe(address: "127.0.0.1:\(port)").run()
        #expect(outcome == .unhealthy("http://127.0.0.1:\(port)/healthz: connect: Connection refused"))
    }

    @Test func aSilentServerTimesOut() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length)
                listen(fd, 1)
                return getsockname(fd, $0, &length)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // The kernel completes the handshake from the backlog; nobody ever answers.
        let started = ContinuousClock.now
        let outcome = HealthProbe(address: "127.0.0.1:\(port)", timeout: .milliseconds(200)).run()
        #expect(outcome == .unhealthy("http://127.0.0.1:\(port)/healthz: timed out waiting for the answer"))
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func theReadyFileNamesTheBoundAPI() throws {
        let path = try readyFile(Self.readyFileText)
        #expect(HealthProbe.apiAddress(fromReadyFile: path) == .success("127.0.0.1:41234"))
        #expect(
            HealthProbe.apiAddress(fromReadyFile: path + ".missing")
                == .failure(
                    .init(description: "cannot read the ready file \(path).missing (is serve running and listening?)")))
        let off = try readyFile(#"{"api":null,"pid":1,"smtp":[]}"#)
        #expect(
            HealthProbe.apiAddress(fromReadyFile: off)
                == .failure(.init(description: "the ready file \(off) says the control API is switched off")))
        let other = try readyFile("[]")
        #expect(
            HealthProbe.apiAddress(fromReadyFile: other)
                == .failure(.init(description: "\(other) is not a ready file: no \"api\" entry")))
    }

    /// `mockmx health --ready-file F` asks where F says the API is, not the default it would otherwise ask.
    @Test func aReadyFileGivenIsTheSourceOfTruth() throws {
        let path = try readyFile(Self.readyFileText)
        func address(
            _ flags: ServeSettings.Flags, _ environment: [String: String] = [:]
        ) throws -> Result<String, HealthProbe.Failure> {
            let settings = try ServeSettings.resolve(flags: flags, environment: environment, inContainer: false)
            return HealthProbe.apiAddress(settings: settings, flags: flags)
        }
        #expect(try address(.init(readyFile: path)) == .success("127.0.0.1:41234"))
        #expect(try address(.init(api: "127.0.0.1:8026", readyFile: path)) == .success("127.0.0.1:41234"))
        #expect(try address(.init(readyFile: path), ["MOCKMX_API": "127.0.0.1:9"]) == .success("127.0.0.1:41234"))
        #expect(try address(.init(), ["MOCKMX_READY_FILE": path]) == .success("127.0.0.1:41234"))
        // Flags win over the environment: an --api on the command line beats a ready file from the environment.
        #expect(try address(.init(api: "127.0.0.1:8026"), ["MOCKMX_READY_FILE": path]) == .success("127.0.0.1:8026"))
        #expect(try address(.init()) == .success("127.0.0.1:8025"))
        #expect(
            try address(.init(api: "127.0.0.1:0"))
                == .failure(
                    .init(
                        description: "the API address 127.0.0.1:0 has port 0; "
                            + "give the ready file, which names the port it got")))
        #expect(
            try address(.init(api: "none"))
                == .failure(.init(description: "the control API is switched off ('none'); health needs it")))
    }

    private static let readyFileText =
        #"{"api":{"address":"127.0.0.1:41234","host":"127.0.0.1","port":41234},"pid":1,"smtp":[]}"#

    private func readyFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ready-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
