@testable import SMTPProtocol
import Testing

private func configuration(_ extensions: [String], auth: AuthPolicy = AuthPolicy(), requireTLS: Bool = false)
    -> SMTPServerConfiguration
{
    SMTPServerConfiguration(
        hostname: "mx.test", extensions: ["PIPELINING", "ENHANCEDSTATUSCODES"] + extensions, auth: auth,
        requireTLS: requireTLS)
}

private func base64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }

@Suite struct StartTLSTests {
    @Test func acceptedStartTLSDiscardsPipelinedPlaintextAndResetsTheSession() {
        var session = SessionDriver(configuration(["STARTTLS"]))
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\n")
        _ = session.takeLines()
        session.send("RSET\r\nSTARTTLS\r\nMAIL FROM:<injected@evil>\r\n")
        #expect(session.takeLines() == ["250 2.0.0 Ok", "220 2.0.0 Ready to start TLS"])
        #expect(session.machine.isAwaitingTLS)
        #expect(session.machine.bufferedByteCount == 0)
        session.machine.tlsEstablished()
        session.send("MAIL FROM:<a@b>\r\nEHLO c\r\n")
        let lines = session.takeLines()
        #expect(lines.first == "503 5.5.1 Error: send HELO/EHLO first")
        #expect(!lines.contains { $0.contains("STARTTLS") })
        session.send("STARTTLS\r\n")
        #expect(session.takeLines() == ["554 5.5.1 Error: TLS already active"])
    }

    @Test func requiredTLSRefusesMailBeforeStartTLS() {
        var session = SessionDriver(configuration(["STARTTLS"], requireTLS: true))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b>\r\nSTARTTLS now\r\n")
        #expect(session.takeLines() == ["530 5.7.0 Must issue a STARTTLS command first", "501 5.5.4 Syntax: STARTTLS"])
    }

    @Test func aRefusedStartTLSKeepsThePlaintextSession() {
        var session = SessionDriver(configuration(["STARTTLS"]))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.overrides = [454]
        session.send("STARTTLS\r\nNOOP\r\n")
        #expect(session.takeLines() == ["454 overridden", "250 2.0.0 Ok"])
    }
}

@Suite struct AuthTests {
    private let users = AuthPolicy(users: ["alice": "secret"])

    @Test func plainWithInitialResponse() {
        var session = SessionDriver(configuration(["AUTH PLAIN LOGIN CRAM-MD5"], auth: users))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("AUTH PLAIN \(base64("\u{0}alice\u{0}wrong"))\r\nAUTH PLAIN \(base64("\u{0}alice\u{0}secret"))\r\n")
        #expect(session.takeLines() == ["535 5.7.8 Error: authentication failed", "235 2.7.0 Authentication successful"])
        #expect(session.machine.authenticatedUser == "alice")
        session.send("AUTH PLAIN x\r\nMAIL FROM:<a@b> AUTH=<>\r\nRCPT TO:<x@y>\r\nDATA\r\n.\r\n")
        #expect(session.takeLines().first == "503 5.5.1 Error: already authenticated")
        #expect(session.messages.first?.authenticatedUser == "alice")
    }

    @Test(arguments: [false, true]) func loginExchange(dripping: Bool) {
        var session = SessionDriver(configuration(["AUTH LOGIN"], auth: users), dripping: dripping)
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("AUTH LOGIN\r\n")
        #expect(session.takeLines() == ["334 VXNlcm5hbWU6"])
        session.send(base64("alice") + "\r\n")
        #expect(session.takeLines() == ["334 UGFzc3dvcmQ6"])
        session.send(base64("secret") + "\r\n")
        #expect(session.takeLines() == ["235 2.7.0 Authentication successful"])
    }

    @Test func cramMD5VerifiesTheDigest() throws {
        var session = SessionDriver(configuration(["AUTH CRAM-MD5"], auth: users))
        session.send("EHLO c\r\nAUTH CRAM-MD5\r\n")
        let challengeLine = try #require(session.takeLines().last)
        #expect(challengeLine.hasPrefix("334 "))
        let challenge = try #require(Base64.decode(Array(challengeLine.dropFirst(4).utf8)))
        let digest = MD5.hex(MD5.hmac(key: Array("secret".utf8), message: challenge))
        session.send(base64("alice \(digest)") + "\r\n")
        #expect(session.takeLines() == ["235 2.7.0 Authentication successful"])
    }

    @Test func md5MatchesRFC2104TestVector() {
        let digest = MD5.hmac(key: [UInt8](repeating: 0x0B, count: 16), message: Array("Hi There".utf8))
        #expect(MD5.hex(digest) == "9294727a3638bb1c13f48ef8158bfc9d")
        #expect(MD5.hex(MD5.digest([])) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func cancelUnknownMechanismBadBase64AndTLSRequirement() {
        var session = SessionDriver(configuration(["AUTH PLAIN"], auth: AuthPolicy(requireTLS: false)))
        session.send("AUTH PLAIN\r\nEHLO c\r\n")
        _ = session.takeLines()
        session.send("AUTH CRAM-MD5\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN !!!!\r\nAUTH PLAIN =\r\n")
        #expect(session.takeLines() == [
            "504 5.5.4 Unrecognized authentication type", "334 ", "501 5.7.0 Authentication aborted",
            "501 5.5.2 Cannot decode response", "535 5.7.8 Error: authentication failed",
        ])
        var tlsOnly = SessionDriver(configuration(["AUTH PLAIN"], auth: AuthPolicy(requireTLS: true)))
        tlsOnly.send("EHLO c\r\n")
        _ = tlsOnly.takeLines()
        tlsOnly.send("AUTH PLAIN \(base64("\u{0}a\u{0}b"))\r\n")
        #expect(tlsOnly.takeLines() == ["538 5.7.11 Encryption required for requested authentication mechanism"])
    }

    @Test func acceptAnyWhenNoUsersAreGiven() {
        var session = SessionDriver(configuration(["AUTH PLAIN"]))
        session.send("EHLO c\r\nAUTH PLAIN \(base64("\u{0}anyone\u{0}anything"))\r\n")
        #expect(session.takeLines().last == "235 2.7.0 Authentication successful")
    }
}

@Suite struct ChunkingTests {
    private let chunking = configuration(["CHUNKING", "BINARYMIME", "8BITMIME"])

    @Test(arguments: [false, true]) func pipelinedChunksMakeOneMessage(dripping: Bool) {
        var session = SessionDriver(chunking, dripping: dripping)
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<x@y>\r\nBDAT 5\r\n\r\n.\r\nBDAT 3 LAST\r\nabc")
        #expect(session.takeLines() == [
            "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok: 5 octets received", "250 2.0.0 Ok: queued as S1.1",
        ])
        #expect(session.messages.first?.content == Array("\r\n.\r\nabc".utf8))
        #expect(session.events.suffix(2).map(\.name) == ["bdat.chunk", "bdat.last"])
    }

    @Test func zeroLastAndBdatAfterLast() {
        var session = SessionDriver(chunking)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.send("BDAT 0 LAST\r\nBDAT 4 LAST\r\nabcdNOOP\r\n")
        #expect(session.takeLines() == [
            "250 2.0.0 Ok: queued as S1.1", "503 5.5.1 Error: need MAIL command", "250 2.0.0 Ok",
        ])
        #expect(session.messages.first?.content == [])
    }

    @Test func chunkIsConsumedAfterAnErrorAndDataIsRefusedOnceBdatStarted() {
        var session = SessionDriver(chunking)
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\n")
        _ = session.takeLines()
        session.send("BDAT 4\r\nRCPTNOOP\r\nRCPT TO:<x@y>\r\nBDAT 2\r\nxyDATA\r\nBDAT x\r\n")
        #expect(session.takeLines() == [
            "503 5.5.1 Error: need RCPT command", "250 2.0.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok: 2 octets received",
            "503 5.5.1 Error: BDAT in progress", "501 5.5.4 Syntax: BDAT size [LAST]",
        ])
    }

    @Test func binaryMimeNeedsBdat() {
        var session = SessionDriver(chunking)
        session.send("EHLO c\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.send("DATA\r\n")
        #expect(session.takeLines() == ["503 5.5.1 Error: BINARYMIME requires BDAT"])
    }

    @Test func oversizeChunksAreRefused() {
        var session = SessionDriver(SMTPServerConfiguration(extensions: ["CHUNKING"], limits: SMTPLimits(messageSize: 10)))
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n")
        _ = session.takeLines()
        session.send("BDAT 20 LAST\r\n" + String(repeating: "z", count: 20) + "NOOP\r\n")
        #expect(session.takeLines() == ["552 Error: message file too big", "250 Ok"])
        #expect(session.messages.isEmpty)
    }

    @Test func bdatWithoutChunkingIsUnknown() {
        var session = SessionDriver()
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("BDAT 3\r\n")
        #expect(session.takeLines() == ["500 5.5.2 Error: command not recognized"])
    }
}

@Suite struct UTF8AndDSNTests {
    @Test func smtpUTF8AddressesNeedTheParameter() {
        var session = SessionDriver(configuration(["SMTPUTF8", "8BITMIME"]))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<jörg@bücher.example>\r\nMAIL FROM:<jörg@bücher.example> SMTPUTF8\r\nRCPT TO:<zoë@x>\r\n")
        #expect(session.takeLines() == [
            "553 5.6.7 Error: a non-ASCII address needs SMTPUTF8", "250 2.1.0 Ok", "250 2.1.5 Ok",
        ])
        var plain = SessionDriver(configuration([]))
        plain.send("EHLO c\r\nMAIL FROM:<a@b> SMTPUTF8\r\n")
        #expect(plain.takeLines().last == "555 5.5.4 Unsupported option: SMTPUTF8")
    }

    @Test func dsnParametersAreCheckedAndRecorded() {
        var session = SessionDriver(configuration(["DSN"]))
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.send("MAIL FROM:<a@b> RET=BOGUS\r\nMAIL FROM:<a@b> RET=HDRS ENVID=QQ314159\r\n")
        session.send("RCPT TO:<x@y> NOTIFY=NEVER,SUCCESS\r\nRCPT TO:<x@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y\r\n")
        session.send("DATA\r\n.\r\n")
        #expect(session.takeLines().prefix(4) == [
            "501 5.5.4 Bad RET parameter", "250 2.1.0 Ok", "501 5.5.4 Bad NOTIFY parameter", "250 2.1.5 Ok",
        ])
        let message = session.messages.first
        #expect(message?.mailParameters == [
            SMTPParameter(key: "RET", value: "HDRS"), SMTPParameter(key: "ENVID", value: "QQ314159"),
        ])
        #expect(message?.recipientParameters == [[
            SMTPParameter(key: "NOTIFY", value: "SUCCESS,FAILURE"), SMTPParameter(key: "ORCPT", value: "rfc822;x@y"),
        ]])
    }
}

/// `advertises` answers from an index built when the extension list is set; it must follow the list.
@Suite struct AdvertisedKeywordTests {
    @Test func keywordsMatchCaseInsensitivelyWithTheirParameters() {
        let configuration = SMTPServerConfiguration(extensions: ["auth plain Login", "Size 100", "X-MADE-UP"])
        #expect(configuration.advertises("AUTH"))
        #expect(configuration.advertises("size"))
        #expect(configuration.parameters(of: "Auth") == ["PLAIN", "LOGIN"])
        #expect(configuration.parameters(of: "SIZE") == ["100"])
        #expect(configuration.parameters(of: "x-made-up") == [])
        #expect(!configuration.advertises("PIPELINING"))
        #expect(!configuration.advertises("SIZ"))
    }

    @Test func replacingTheListReplacesWhatIsAdvertised() {
        var configuration = SMTPServerConfiguration()
        #expect(configuration.advertises("PIPELINING"))
        configuration.extensions = ["XEXCH50"]
        #expect(!configuration.advertises("PIPELINING"))
        #expect(configuration.advertises("xexch50"))
        configuration.extensions.append("AUTH PLAIN")
        #expect(configuration.parameters(of: "AUTH") == ["PLAIN"])
    }
}
