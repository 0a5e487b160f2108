import Foundation
import MockMXServer
import Testing

private func tlsHost(_ extra: String = "", extensions: String = "PIPELINING, STARTTLS, \"AUTH PLAIN LOGIN CRAM-MD5\", ENHANCEDSTATUSCODES")
    -> String
{
    """
    host:
      hostname: mx.tls.test
      extensions: [\(extensions)]
      auth:
        users: {alice: secret}
    \(extra)
    """
}

private let hasSwaks = ExternalClient.available("swaks")
private let hasOpenSSL = ExternalClient.available("openssl")

/// STARTTLS, implicit TLS, AUTH and their faults, seen from real clients.
@Suite struct TLSAndAuthTests {
    private func swaks(_ port: Int, _ arguments: [String]) throws -> ExternalClient.Result {
        try ExternalClient.run(
            ["swaks", "--server", "127.0.0.1:\(port)", "--from", "s@example.com", "--to", "r@example.org"] + arguments)
    }

    @Test(.enabled(if: hasSwaks)) func swaksStartTLSWithAuthPlain() async throws {
        let live = try LiveHost(yaml: tlsHost())
        let result = try swaks(live.port, ["--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret"])
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        let message = try #require(live.messages.first)
        #expect(message.receivedOverTLS)
        #expect(message.authenticatedUser == "alice")
        let notes = live.host.sessions.all[0].transcript.map(\.text)
        #expect(notes.contains { $0.hasPrefix("TLS established: TLSv1.3") })
    }

    @Test(.enabled(if: hasSwaks)) func swaksTLSOnConnectWithCramMD5() async throws {
        let live = try LiveHost(yaml: tlsHost(), implicitTLS: true)
        #expect(live.host.listeners[0].implicitTLS)
        let result = try swaks(
            live.port, ["--tls-on-connect", "--auth", "CRAM-MD5", "--auth-user", "alice", "--auth-password", "secret"])
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.receivedOverTLS == true)
        #expect(live.messages.first?.authenticatedUser == "alice")
    }

    @Test(.enabled(if: hasSwaks)) func swaksAuthLoginAndAWrongPassword() async throws {
        let live = try LiveHost(yaml: tlsHost())
        let good = try swaks(live.port, ["--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "secret"])
        #expect(good.status == 0, "\(good.output)")
        let bad = try swaks(live.port, ["--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "nope"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("535 5.7.8 Error: authentication failed"))
        #expect(await live.waitForMessages(1))
        #expect(live.messages.count == 1)
    }

    @Test func pythonSmtplibStartTLSAndLogin() async throws {
        let live = try LiveHost(yaml: tlsHost())
        let script = """
            import smtplib, ssl
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP("127.0.0.1", \(live.port), timeout=10) as s:
                s.starttls(context=context)
                s.login("alice", "secret")
                s.sendmail("s@example.com", ["r@example.org"], b"Subject: tls\\r\\n\\r\\nover tls\\r\\n")
            """
        let result = try ExternalClient.run(["python3", "-c", script])
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.authenticatedUser == "alice")
        #expect(live.messages.first?.receivedOverTLS == true)
    }

    @Test(.enabled(if: ExternalClient.available("curl"))) func curlSslReqdVerifiesTheGeneratedChain() async throws {
        let live = try LiveHost(yaml: tlsHost("  tls: {certificate: valid}"))
        let authority = try #require(live.host.listeners[0].tlsAuthority)
        let result = try ExternalClient.run(
            [
                "curl", "-sS", "--ssl-reqd", "--cacert", authority, "--resolve", "mx.tls.test:\(live.port):127.0.0.1",
                "--url", "smtp://mx.tls.test:\(live.port)/curl.example", "--mail-from", "c@example.com",
                "--mail-rcpt", "x@example.org", "--upload-file", "-",
            ],
            input: "Subject: curl tls\r\n\r\nbody\r\n")
        #expect(result.status == 0, "\(result.output)")
        #expect(await live.waitForMessages(1))
        #expect(live.messages.first?.receivedOverTLS == true)
    }

    @Test(.enabled(if: hasOpenSSL)) func opensslStartTLSHandshakeShowsThePinnedFingerprint() throws {
        let live = try LiveHost(yaml: tlsHost())
        let fingerprint = try #require(live.host.listeners[0].tlsFingerprint)
        let result = try ExternalClient.run([
            "bash", "-c",
            "openssl s_client -starttls smtp -connect 127.0.0.1:\(live.port) </dev/null 2>/dev/null"
                + " | openssl x509 -noout -fingerprint -sha256",
        ])
        #expect(result.output.contains(fingerprint), "\(result.output)")
    }

    @Test(.enabled(if: hasOpenSSL), arguments: [("expired", "certificate has expired"), ("wrong-hostname", "hostname mismatch")])
    func certificateFaultsFailVerification(kind: String, error: String) throws {
        let live = try LiveHost(yaml: tlsHost("  tls: {certificate: \(kind)}"))
        let authority = try #require(live.host.listeners[0].tlsAuthority)
        let result = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-CAfile", authority,
            "-verify_hostname", "mx.tls.test", "-verify_return_error", "-brief",
        ], input: "")
        #expect(result.status != 0)
        #expect(result.output.contains(error), "\(result.output)")
    }

    @Test(.enabled(if: hasOpenSSL)) func validCertificatePassesVerification() throws {
        let live = try LiveHost(yaml: tlsHost("  tls: {certificate: valid}"))
        let authority = try #require(live.host.listeners[0].tlsAuthority)
        let result = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-CAfile", authority,
            "-verify_hostname", "mx.tls.test", "-verify_return_error", "-brief",
        ], input: "")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Verification: OK"))
    }

    @Test(.enabled(if: hasOpenSSL)) func maximumVersionIsEnforced() throws {
        let live = try LiveHost(yaml: tlsHost("  tls: {max-version: \"1.2\"}"))
        let modern = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-tls1_3", "-brief",
        ], input: "")
        #expect(modern.status != 0)
        let negotiated = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-brief",
        ], input: "")
        #expect(negotiated.output.contains("Protocol version: TLSv1.2"), "\(negotiated.output)")
    }

    @Test func startTLSRefusedWith454() throws {
        let live = try LiveHost(yaml: tlsHost("""
            rules:
              - on: starttls
                do: {reply: "454 4.7.0 TLS not available due to local problem"}
            """))
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        #expect(try client.reply().contains("250-STARTTLS"))
        try client.send("STARTTLS\r\nNOOP\r\n")
        #expect(try client.replyLine() == "454 4.7.0 TLS not available due to local problem")
        #expect(try client.replyLine() == "250 2.0.0 Ok")
    }

    @Test func startTLSAcceptedThenClosedBeforeTheHandshake() throws {
        let live = try LiveHost(yaml: tlsHost("""
            rules:
              - on: starttls
                do: [default, close]
            """))
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        try client.send("STARTTLS\r\n")
        #expect(try client.replyLine() == "220 2.0.0 Ready to start TLS")
        #expect(client.ending().0 == .fin)
    }

    @Test(.enabled(if: hasOpenSSL)) func handshakeAbortedMidway() async throws {
        let live = try LiveHost(yaml: tlsHost("""
            rules:
              - on: tls
                do: reset
            """))
        let result = try ExternalClient.run([
            "openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:\(live.port)", "-brief",
        ], input: "")
        #expect(result.status != 0)
        #expect(await live.waitForEndedSessions(1))
        let session = live.host.sessions.all[0]
        #expect(session.ended?.reason == .resetByRule)
        #expect(session.transcript.contains { $0.text == "ClientHello received; aborting the handshake" })
    }

    @Test func requiredTLSRefusesMailInPlaintext() throws {
        let live = try LiveHost(yaml: tlsHost("  tls: {required: true}"))
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n")
        _ = try client.reply()
        #expect(try client.replyLine() == "530 5.7.0 Must issue a STARTTLS command first")
    }

    /// CVE-2011-0411: commands pipelined after STARTTLS in plaintext must not run inside TLS.
    @Test func plaintextInjectedAfterStartTLSIsDiscarded() async throws {
        let live = try LiveHost(yaml: tlsHost())
        let script = """
            import socket, ssl, sys
            s = socket.create_connection(("127.0.0.1", \(live.port)), timeout=10)
            f = s.makefile("rb")
            def reply():
                lines = []
                while True:
                    line = f.readline().decode()
                    lines.append(line.strip())
                    if line[3:4] != "-":
                        return lines
            reply()
            s.sendall(b"EHLO c.example\\r\\n"); reply()
            s.sendall(b"STARTTLS\\r\\nMAIL FROM:<injected@evil.example>\\r\\n")
            assert reply() == ["220 2.0.0 Ready to start TLS"]
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            t = context.wrap_socket(s)
            g = t.makefile("rb")
            t.sendall(b"RCPT TO:<x@example.org>\\r\\n")
            print(g.readline().decode().strip())
            t.sendall(b"MAIL FROM:<a@example.com>\\r\\n")
            print(g.readline().decode().strip())
            """
        let result = try ExternalClient.run(["python3", "-c", script])
        #expect(result.status == 0, "\(result.output)")
        // Neither the injected MAIL ran nor the pre-TLS EHLO survived: the session starts over.
        #expect(result.output.split(separator: "\n").map(String.init) == [
            "503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: send HELO/EHLO first",
        ])
        let transcript = live.host.sessions.all[0].transcript.map(\.text)
        #expect(!transcript.contains { $0.contains("injected@evil.example") })
    }

    @Test func pipelinedBdatChunks() throws {
        let live = try LiveHost(yaml: tlsHost(extensions: "PIPELINING, CHUNKING, BINARYMIME, 8BITMIME, ENHANCEDSTATUSCODES"))
        let client = try RawClient(port: live.port)
        _ = try client.reply()
        try client.send("EHLO c.example\r\n")
        _ = try client.reply()
        var batch = Array("MAIL FROM:<a@example.com> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\nBDAT 7\r\n".utf8)
        batch += [0x00, 0xFF, 0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
        batch += Array("BDAT 0 LAST\r\nBDAT 3 LAST\r\nxyzNOOP\r\n".utf8)
        try client.send(batch)
        var replies: [String] = []
        for _ in 0..<6 { replies.append(try client.replyLine()) }
        #expect(replies == [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok: 7 octets received",
            "250 2.0.0 Ok: queued as \(live.messages.first?.id ?? "?")", "503 5.5.1 Error: need MAIL command",
            "250 2.0.0 Ok",
        ])
        #expect(live.messages.first?.content == [0x00, 0xFF, 0x0D, 0x0A, 0x2E, 0x0D, 0x0A])
    }
}
