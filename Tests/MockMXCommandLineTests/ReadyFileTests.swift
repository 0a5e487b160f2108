import Foundation
import MockMXCommandLine
import Testing

/// The ready file: one type writes it (`serve`) and reads it (`health`); users' harnesses read its keys.
@Suite struct ReadyFileTests {
    static let sample = ReadyFile(
        pid: 4242,
        smtp: [
            ReadyFile.Listener(
                host: "127.0.0.1", port: 2525, address: "127.0.0.1:2525", scenario: "default", implicitTLS: false),
            ReadyFile.Listener(
                host: "::1", port: 4650, address: "[::1]:4650", scenario: "Scenarios/tls.yaml", implicitTLS: true,
                tlsFingerprint: "AB:CD", tlsAuthority: "/tmp/mockmx-ca.pem"),
        ],
        api: ReadyFile.Endpoint(host: "127.0.0.1", port: 8025, address: "127.0.0.1:8025"))

    @Test func roundTripsThroughItsOwnBytes() throws {
        #expect(try ReadyFile(json: ReadyFileTests.sample.json()) == ReadyFileTests.sample)
        var withoutAPI = ReadyFileTests.sample
        withoutAPI.api = nil
        #expect(try ReadyFile(json: withoutAPI.json()) == withoutAPI)
    }

    /// Byte for byte what `serve` wrote before the type existed: pretty-printed, keys sorted, nulls written.
    @Test func writesTheDocumentedShapeWithNullsKept() throws {
        let listeners: [[String: Any]] = ReadyFileTests.sample.smtp.map {
            [
                "host": $0.host, "port": $0.port, "address": $0.address, "scenario": $0.scenario,
                "implicitTLS": $0.implicitTLS, "tlsFingerprint": $0.tlsFingerprint as Any? ?? NSNull(),
                "tlsAuthority": $0.tlsAuthority as Any? ?? NSNull(),
            ]
        }
        for api in [ReadyFileTests.sample.api, nil] {
            var readyFile = ReadyFileTests.sample
            readyFile.api = api
            let document: [String: Any] = [
                "pid": 4242, "smtp": listeners,
                "api": api.map { ["host": $0.host, "port": $0.port, "address": $0.address] } as Any? ?? NSNull(),
                "dns": NSNull(),
            ]
            let expected = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
            #expect(String(decoding: try readyFile.json(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        }
    }

    @Test func saysWhatIsWrongWithAFileServeDidNotWrite() {
        func problem(_ text: String) -> String? {
            do throws(ReadyFile.Malformed) {
                _ = try ReadyFile(json: Data(text.utf8))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem(#"{"pid":1,"smtp":[]}"#) == #"no "api" entry"#)
        #expect(problem(#"{"api":null,"pid":1,"smtp":[{"host":"h"}]}"#) == #"no "port" entry in smtp[0]"#)
        #expect(problem(#"{"api":null,"pid":"1","smtp":[]}"#) == "unexpected value in pid")
        #expect(problem("[]") == #"no "api" entry"#)
        #expect(problem("{") == "not JSON")
    }
}
