import MockMXDNS
import Testing

@Suite struct DNSZoneReplyTests {
    /// The example: MX fallback, a null MX, A only, NXDOMAIN, no answer, SERVFAIL.
    static let zone: DNSZone = {
        var zone = DNSZone()
        func name(_ text: String) -> DomainName { try! DomainName(parsing: text) }
        zone.set(name("mx-fallback.test"), .records(DNSRecordSet(ttl: 60, mailExchangers: [
            MailExchanger(preference: 10, host: name("mx1.mx-fallback.test")),
            MailExchanger(preference: 20, host: name("mx2.mx-fallback.test")),
        ])))
        zone.set(name("mx1.mx-fallback.test"), .records(DNSRecordSet(ipv4: [IPAddress(parsing: "127.0.0.2")!])))
        zone.set(
            name("nullmx.test"), .records(DNSRecordSet(mailExchangers: [MailExchanger(preference: 0, host: .root)])))
        zone.set(name("nomx.test"), .records(DNSRecordSet(
            ttl: 5, ipv4: [IPAddress(parsing: "127.0.0.4")!], ipv6: [IPAddress(parsing: "::1")!])))
        zone.set(name("gone.test"), .nonexistent)
        zone.set(name("slowdns.test"), .noAnswer)
        zone.set(name("broken.test"), .serverFailure)
        return zone
    }()

    func reply(_ name: String, _ type: UInt16, recordClass: UInt16 = 1) -> DNSReply {
        Self.zone.reply(name: name, type: type, recordClass: recordClass)
    }

    @Test func mxRecordsComeInTheConfiguredOrderWithTheirTTL() {
        let answer = reply("mx-fallback.test", DNSRecordType.mx)
        #expect(answer.responseCode == .noError && answer.authoritative)
        #expect(answer.answers.map(\.text) == ["10 mx1.mx-fallback.test.", "20 mx2.mx-fallback.test."])
        #expect(answer.answers.allSatisfy { $0.ttl == 60 && $0.type == DNSRecordType.mx })
    }

    @Test func addressRecordsAnswerTheirTypeOnly() {
        #expect(reply("nomx.test", DNSRecordType.a).answers.map(\.data) == [[127, 0, 0, 4]])
        #expect(reply("nomx.test", DNSRecordType.aaaa).answers.map(\.text) == ["::1"])
        #expect(reply("nomx.test", DNSRecordType.a).answers.first?.ttl == 5)
        // No MX: NOERROR with no records, so the sender falls back to the A record (RFC 5321 §5.1).
        let noData = reply("nomx.test", DNSRecordType.mx)
        #expect(noData.responseCode == .noError && noData.answers.isEmpty && noData.authoritative)
        #expect(reply("nomx.test", DNSRecordType.any).answers.map(\.type) == [DNSRecordType.a, DNSRecordType.aaaa])
        #expect(reply("nomx.test", 16).answers.isEmpty)
    }

    @Test func nullMXIsPreferenceZeroAndTheRoot() {
        #expect(reply("nullmx.test", DNSRecordType.mx).answers.map(\.data) == [[0, 0, 0]])
    }

    @Test func failuresAnswerAsConfiguredForTheDomainAndBelowIt() {
        #expect(reply("gone.test", DNSRecordType.mx).responseCode == .nameError)
        #expect(reply("www.gone.test", DNSRecordType.a).responseCode == .nameError)
        #expect(reply("slowdns.test", DNSRecordType.mx) == .dropped)
        #expect(reply("mx.slowdns.test", DNSRecordType.a) == .dropped)
        #expect(reply("broken.test", DNSRecordType.mx).responseCode == .serverFailure)
    }

    @Test func unknownNamesBelowATestDomainDoNotExist() {
        let answer = reply("mx9.mx-fallback.test", DNSRecordType.a)
        #expect(answer.responseCode == .nameError && answer.authoritative)
    }

    @Test func everythingElseIsRefused() {
        #expect(reply("example.com", DNSRecordType.mx) == .refused)
        #expect(reply("test", DNSRecordType.mx) == .refused)
        #expect(reply("", DNSRecordType.a) == .refused)
        #expect(reply("xnomx.test", DNSRecordType.a) == .refused)
        #expect(reply("nomx.test", DNSRecordType.a, recordClass: 3) == .refused)
        #expect(reply("nomx.test", DNSRecordType.a, recordClass: 255).answers.count == 1)
    }

    @Test func mergingRefusesADomainDefinedTwice() throws {
        var zone = DNSZone()
        try zone.merge(Self.zone)
        #expect(zone == Self.zone)
        var other = DNSZone()
        other.set(try DomainName(parsing: "GONE.test"), .serverFailure)
        #expect(throws: DNSZone.Conflict(name: "gone.test")) { try zone.merge(other) }
        try zone.merge(Self.zone)
    }

    @Test func typeNamesFollowDigAndRFC3597() {
        #expect(DNSRecordType.name(15) == "MX" && DNSRecordType.name(28) == "AAAA")
        #expect(DNSRecordType.name(999) == "TYPE999")
    }
}
