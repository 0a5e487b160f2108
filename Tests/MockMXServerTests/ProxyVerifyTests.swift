import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// `upstream: {verify: true, ca-file:, server-name:}`: the upstream leg's certificate checked against the CA
/// an in-process upstream generated (the same CertificateAuthority mockmx serves its own TLS with).
@Suite struct ProxyVerifyTests {
    private func upstream(certificate: String = "valid") throws -> LiveHost {
        try LiveHost(yaml: """
            host:
              hostname: upstream.tls.test
              extensions: [PIPELINING, STARTTLS, ENHANCEDSTATUSCODES]
              tls: {certificate: \(certificate)}
            """)
    }

    private func ehlo(through front: LiveHost) throws -> [String] {
        let client = try RawClient(port: front.port)
        _ = try client.reply()
        try client.send("EHLO c.test\r\n")
        return try client.reply()
    }

    private func notes(_ host: LiveHost) async throws -> [String] {
        #expect(await host.waitForEndedSessions(0))
        return try #require(host.host.sessions.all.first).transcript.map(\.text)
    }

    @Test func theUpstreamsCertificatePassesWithItsCAAndName() async throws {
        let upstream = try upstream()
        let ca = try #require(upstream.tlsAuthority)
        let front = try LiveHost(yaml: """
            upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s, verify: true, ca-file: \(ca), server-name: upstream.tls.test}
            """)
        #expect(try ehlo(through: front).first == "250-upstream.tls.test")
        let texts = try await notes(front)
        #expect(texts.contains { $0.hasPrefix("TLS toward upstream established: TLSv1.3") && $0.hasSuffix("certificate verified for upstream.tls.test") })
    }

    @Test(arguments: [
        // No CA file: the system's CAs do not know the generated CA the upstream sends along.
        ("valid", "", "self-signed certificate in certificate chain"),
        ("valid", "server-name: other.test", "hostname mismatch"),
        ("expired", "server-name: upstream.tls.test", "certificate has expired"),
        ("self-signed", "server-name: upstream.tls.test", "self-signed certificate"),
    ])
    func aRefusedCertificateIsA451AndTheTranscriptSaysWhy(certificate: String, extra: String, reason: String) async throws {
        let upstream = try upstream(certificate: certificate)
        let ca = try #require(upstream.tlsAuthority)
        let caKey = extra.isEmpty ? "" : ", ca-file: \(ca)"
        let front = try LiveHost(yaml: """
            upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s, verify: true\(caKey)\(extra.isEmpty ? "" : ", " + extra)}
            """)
        let reply = try ehlo(through: front)
        #expect(reply.count == 1)
        let line = try #require(reply.first)
        #expect(line.hasPrefix("451 4.4.2 mockmx.test Upstream host 127.0.0.1:\(upstream.port) failed: TLS handshake failed: certificate verification failed: \(reason)"), "\(line)")
        let texts = try await notes(front)
        #expect(texts.contains { $0.contains("certificate verification failed: \(reason)") })
    }

    @Test func anUnreadableCAFileIsSaidSo() async throws {
        let upstream = try upstream()
        let front = try LiveHost(yaml: """
            upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s, verify: true, ca-file: /nonexistent/ca.pem}
            """)
        let line = try #require(try ehlo(through: front).first)
        #expect(line.contains("TLS cannot be set up: cannot load ca-file /nonexistent/ca.pem"), "\(line)")
    }

    @Test func withoutVerifyTheSameUpstreamIsAccepted() async throws {
        let upstream = try upstream()
        let front = try LiveHost(yaml: "upstream: {address: 127.0.0.1:\(upstream.port), reply-timeout: 5s}\n")
        #expect(try ehlo(through: front).first == "250-upstream.tls.test")
    }
}
