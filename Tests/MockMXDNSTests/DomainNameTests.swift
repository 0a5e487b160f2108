import MockMXDNS
import Testing

@Suite struct DomainNameTests {
    @Test func namesFoldCaseAndLoseTheTrailingDot() throws {
        let name = try DomainName(parsing: "MX1.Example.TEST.")
        #expect(name.description == "mx1.example.test")
        #expect(name == (try DomainName(parsing: "mx1.example.test")))
    }

    @Test func wireFormatIsLengthPrefixedLabelsEndingInZero() throws {
        let wire: [UInt8] = [3, 0x6D, 0x78, 0x31, 1, 0x61, 4, 0x74, 0x65, 0x73, 0x74, 0]
        #expect(try DomainName(parsing: "mx1.a.test").wireFormat == wire)
        #expect(DomainName.root.wireFormat == [0])
        #expect(try DomainName(parsing: ".").isRoot)
    }

    @Test(arguments: [
        ("", "an empty name (the root is written '.')"),
        ("a..test", "'a..test' has an empty label"),
        ("a b.test", "'a b' holds a character other than a letter, digit, '-' or '_'"),
        ("-a.test", "'-a' starts or ends with '-'"),
        ("bücher.test", "'bücher' holds a character other than a letter, digit, '-' or '_'"),
    ])
    func invalidNamesSayWhy(text: String, message: String) {
        #expect(throws: DomainName.Invalid(description: message)) { try DomainName(parsing: text) }
    }

    @Test func labelsAndNamesHaveTheirWireLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        _ = try DomainName(parsing: label63 + ".test")
        #expect(throws: DomainName.Invalid.self) { try DomainName(parsing: label63 + "a.test") }
        // 4 labels of 63 bytes: 4 * 64 + 1 = 257 bytes on the wire.
        let long = Array(repeating: label63, count: 4).joined(separator: ".")
        #expect(throws: DomainName.Invalid(description: "'\(long)' is longer than 255 bytes on the wire")) {
            try DomainName(parsing: long)
        }
        let fits = Array(repeating: label63, count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        #expect(try DomainName(parsing: fits).wireLength == 255)
    }

    @Test func queriedNamesFoldLikeConfiguredOnes() {
        #expect(DomainName.queried(Array("MX-Fallback.TEST.".utf8)) == "mx-fallback.test")
        #expect(DomainName.queried([0xFF, 0x2E, 0x41]) == "\u{FFFD}.a")
    }

    @Test func mailExchangersParseAndEncode() throws {
        let exchanger = try MailExchanger(parsing: "10  mx1.a.test")
        #expect(exchanger.preference == 10 && exchanger.host.description == "mx1.a.test")
        #expect(exchanger.wireFormat == [0, 10] + (try DomainName(parsing: "mx1.a.test")).wireFormat)
        #expect(exchanger.text == "10 mx1.a.test.")
        let null = try MailExchanger(parsing: "0 .")
        #expect(null.isNull && null.wireFormat == [0, 0, 0] && null.text == "0 .")
        #expect(throws: DomainName.Invalid.self) { try MailExchanger(parsing: "mx1.a.test") }
        #expect(throws: DomainName.Invalid.self) { try MailExchanger(parsing: "65536 mx1.a.test") }
        #expect(throws: DomainName.Invalid(description: "a null MX ('.') has preference 0 (RFC 7505), found 5")) {
            try MailExchanger(parsing: "5 .")
        }
    }

    @Test func addressesParseByFamily() {
        #expect(IPAddress(parsing: "127.0.0.2")?.bytes == [127, 0, 0, 2])
        #expect(IPAddress(parsing: "::1")?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddress(parsing: "0:0::0001")?.description == "::1")
        #expect(IPAddress(parsing: "127.0.0.256") == nil)
        #expect(IPAddress(parsing: "mx1.test") == nil)
    }
}
