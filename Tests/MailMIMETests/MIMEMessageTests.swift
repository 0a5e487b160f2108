import MailMIME
import Testing

/// What a mail reader shows of a message: names, subjects, bodies and parts, also from malformed input.
@Suite struct MIMEMessageTests {
    private func message(_ lines: [String]) -> MIMEMessage {
        MIMEMessage(parsing: Array(lines.joined(separator: "\r\n").utf8))
    }

    @Test func decodesEncodedWordsJoiningAdjacentOnesAndKeepingUnknownCharsets() {
        #expect(MIMEHeaders.decodeEncodedWords("=?UTF-8?B?w6l0w6k=?= report") == "été report")
        #expect(MIMEHeaders.decodeEncodedWords("=?ISO-8859-1?Q?caf=E9_cr=E8me?=") == "café crème")
        #expect(MIMEHeaders.decodeEncodedWords("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab")
        #expect(MIMEHeaders.decodeEncodedWords("x =?utf-8?q?a?= y") == "x a y")
        #expect(MIMEHeaders.decodeEncodedWords("=?x-unknown?Q?a?=") == "=?x-unknown?Q?a?=")
        #expect(MIMEHeaders.decodeEncodedWords("=?utf-8?Z?a?= and =?") == "=?utf-8?Z?a?= and =?")
    }

    @Test func readsAddressListsWithQuotedNamesGroupsAndComments() {
        let list = MIMEHeaders.addresses(
            #""Doe, Jane" <jane@example.com>, bob@example.com (Bob), team: a@x.org, <b@x.org>;, =?UTF-8?Q?Ren=C3=A9?= <r@x.org>"#)
        #expect(list == [
            MIMEAddress(name: "Doe, Jane", address: "jane@example.com"),
            MIMEAddress(name: "Bob", address: "bob@example.com"),
            MIMEAddress(name: "", address: "a@x.org"),
            MIMEAddress(name: "", address: "b@x.org"),
            MIMEAddress(name: "René", address: "r@x.org"),
        ])
        #expect(MIMEHeaders.addresses("undisclosed-recipients:;").isEmpty)
    }

    @Test func readsParametersQuotedAndContinuedAsRFC2231Says() {
        let (type, parameters) = MIMEHeaders.parameterized(
            #"Multipart/Mixed; BOUNDARY="a;b"; name*0*=utf-8''%C3%A9t; name*1="e.txt""#)
        #expect(type == "multipart/mixed")
        #expect(parameters["boundary"] == "a;b")
        #expect(parameters["name"] == "éte.txt")
    }

    @Test func readsAPlainMessageWithFoldedHeaders() {
        let parsed = message([
            "From: Alice <alice@example.com>", "To: bob@example.com,", " carol@example.com",
            "Subject: =?UTF-8?B?SGVsbG8g8J+Riw==?=", "", "Hi Bob,", "bye",
        ])
        #expect(parsed.addresses("to").map(\.address) == ["bob@example.com", "carol@example.com"])
        #expect(parsed.decodedField("Subject") == "Hello 👋")
        #expect(parsed.text == "Hi Bob,\r\nbye")
        #expect(parsed.html.isEmpty && parsed.attachments.isEmpty)
    }

    @Test func separatesTextHTMLInlineImagesAndAttachmentsNumberingPartsLikeMailpit() {
        let parsed = message([
            "Content-Type: multipart/mixed; boundary=outer", "", "preamble", "--outer",
            "Content-Type: multipart/related; boundary=rel", "", "--rel",
            "Content-Type: multipart/alternative; boundary=alt", "", "--alt",
            "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable", "",
            "caf=E9 =", "ok", "--alt", "Content-Type: text/html", "", "<p>café</p>", "--alt--", "--rel",
            "Content-Type: image/png", "Content-ID: <logo@x>", "Content-Transfer-Encoding: base64", "",
            "iVBORw0K", "--rel--", "--outer",
            "Content-Type: application/pdf; name=\"r.pdf\"", "Content-Disposition: attachment",
            "Content-Transfer-Encoding: base64", "", "JVBERi0x", "LjQK", "--outer--", "epilogue",
        ])
        #expect(parsed.text == "café ok")
        #expect(parsed.html == "<p>café</p>")
        #expect(parsed.inline.map(\.partID) == ["1.2"])
        #expect(parsed.inline.first?.contentID == "logo@x")
        #expect(parsed.inline.first?.size == 6)
        #expect(parsed.attachments.map(\.fileName) == ["r.pdf"])
        #expect(parsed.attachments.first?.partID == "2")
        #expect(parsed.attachments.first?.content == Array("%PDF-1.4\n".utf8))
    }

    @Test func stopsAtTheDepthAndPartLimitsAndSaysSo() {
        var lines: [String] = []
        for level in 0..<40 { lines += ["Content-Type: multipart/mixed; boundary=b\(level)", "", "--b\(level)"] }
        lines += ["", "deep"]
        let deep = MIMEMessage(parsing: Array(lines.joined(separator: "\r\n").utf8), limits: MIMELimits(maxDepth: 8))
        #expect(deep.truncated)
        #expect(deep.text.isEmpty)
        let many = (0..<50).map { "--b\r\nContent-Disposition: attachment\r\n\r\n\($0)" }.joined(separator: "\r\n")
        let wide = MIMEMessage(
            parsing: Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n\(many)\r\n--b--".utf8),
            limits: MIMELimits(maxParts: 10))
        #expect(wide.truncated)
        #expect(wide.attachments.count == 10)
    }

    @Test func keepsWhatItCannotReadInsteadOfFailing() {
        // No header section at all, an unclosed multipart, bad base64 and a lone `=` in quoted-printable.
        #expect(MIMEMessage(parsing: Array("just a line\n".utf8)).text == "just a line\n")
        let unclosed = message(["Content-Type: multipart/mixed; boundary=x", "", "--x", "", "open part"])
        #expect(unclosed.text == "open part")
        let bad = message(["Content-Transfer-Encoding: quoted-printable", "", "a=zz="])
        #expect(bad.text == "a=zz=")
        #expect(MIMEMessage(parsing: []).fields.isEmpty)
        let latin = MIMEMessage(parsing: [0x53, 0x3A, 0x20, 0xE9, 0x0A, 0x0A])
        #expect(latin.field("s") == "é")
    }
}
