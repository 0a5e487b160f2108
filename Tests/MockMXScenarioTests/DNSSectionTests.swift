import MockMXDNS
import MockMXScenario
import Testing

/// A scenario's `dns:` section: the test domains and their records, every mistake located.
@Suite struct DNSSectionTests {
    @Test func recordsFailuresAndTTLsLoad() throws {
        let scenario = try loadScenario("""
            dns:
              ttl: 60
              domains:
                MX-Fallback.test.:
                  mx: [10 mx1.mx-fallback.test, 20 mx2.mx-fallback.test]
                mx1.mx-fallback.test: {a: 127.0.0.2}
                mx2.mx-fallback.test: {a: [127.0.0.3, 127.0.0.5], aaaa: "::1", ttl: 30}
                nullmx.test: {mx: 0 .}
                empty.test:
                gone.test: nxdomain
                slowdns.test: no-answer
                broken.test: servfail
            """)
        let zone = try #require(scenario.dns)
        #expect(zone.domains.keys.sorted() == [
            "broken.test", "empty.test", "gone.test", "mx-fallback.test", "mx1.mx-fallback.test",
            "mx2.mx-fallback.test", "nullmx.test", "slowdns.test",
        ])
        guard case let .records(fallback) = zone.domains["mx-fallback.test"],
              case let .records(mx2) = zone.domains["mx2.mx-fallback.test"],
              case let .records(null) = zone.domains["nullmx.test"]
        else {
            Issue.record("records expected")
            return
        }
        #expect(fallback.ttl == 60)
        #expect(fallback.mailExchangers.map(\.text) == ["10 mx1.mx-fallback.test.", "20 mx2.mx-fallback.test."])
        #expect(mx2.ttl == 30 && mx2.ipv4.map(\.description) == ["127.0.0.3", "127.0.0.5"])
        #expect(mx2.ipv6.map(\.description) == ["::1"])
        #expect(null.mailExchangers.map(\.isNull) == [true] && null.ttl == 60)
        #expect(zone.domains["empty.test"] == .records(DNSRecordSet(ttl: 60)))
        #expect(zone.domains["gone.test"] == .nonexistent)
        #expect(zone.domains["slowdns.test"] == .noAnswer)
        #expect(zone.domains["broken.test"] == .serverFailure)
        #expect(try loadScenario("summary: no DNS\n").dns == nil)
        #expect(try loadScenario("dns: {domains: {a.test: {a: 127.0.0.1}}}\n").dns?.domains["a.test"]
            == .records(DNSRecordSet(ttl: DNSZone.defaultTTL, ipv4: [IPAddress(parsing: "127.0.0.1")!])))
    }

    @Test func everyMistakeIsLocated() {
        let yaml = """
            dns:
              tll: 5
              domains:
                bad..test: {a: 127.0.0.1}
                x.test: {mx: [0 ., 10 a.test], aaaa: 127.0.0.1, ttl: 2147483648, cname: y.test}
                X.TEST: nxdomian
                nums.test: {mx: 10 1.2.3.4, a: "::1"}
                pref.test: {mx: [5 ., mx1.test, 70000 mx.test]}
                .: nxdomain
                long.test: {a: [127.0.0.1, [1]]}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:3: error: dns.tll: unknown key 'tll' (did you mean 'ttl'?)",
            "test.yaml:4:5: error: dns.domains.bad..test: not a domain name: 'bad..test' has an empty label",
            "test.yaml:5:19: error: dns.domains.x.test.mx[0]: a null MX ('0 .') must be the domain's only MX record (RFC 7505)",
            "test.yaml:5:42: error: dns.domains.x.test.aaaa: expected an IPv6 address such as '::1' (for an IPv4 address use 'a:'), found '127.0.0.1'",
            "test.yaml:5:58: error: dns.domains.x.test.ttl: a TTL is at most 2147483647 seconds (RFC 2181), found 2147483648",
            "test.yaml:5:70: error: dns.domains.x.test.cname: unknown key 'cname'; expected a, aaaa, mx or ttl",
            "test.yaml:6:5: error: dns.domains.X.TEST: 'x.test' is given twice (first at 5:5); names compare without case",
            "test.yaml:7:21: error: dns.domains.nums.test.mx: '1.2.3.4' is an address; an MX names a host: give it a name with an 'a:' record",
            "test.yaml:7:36: error: dns.domains.nums.test.a: expected an IPv4 address such as 127.0.0.2 (for an IPv6 address use 'aaaa:'), found '::1'",
            "test.yaml:8:22: error: dns.domains.pref.test.mx[0]: a null MX ('.') has preference 0 (RFC 7505), found 5",
            "test.yaml:8:27: error: dns.domains.pref.test.mx[1]: 'mx1.test' is not 'PREFERENCE HOST' (such as '10 mx1.example.test', or '0 .' for a null MX)",
            "test.yaml:8:37: error: dns.domains.pref.test.mx[2]: '70000 mx.test' is not 'PREFERENCE HOST' (such as '10 mx1.example.test', or '0 .' for a null MX)",
            "test.yaml:9:5: error: dns.domains..: the root cannot be a test domain (mockmx refuses what it does not own)",
            "test.yaml:10:32: error: dns.domains.long.test.a[1]: expected a string, found a list",
        ])
    }

    @Test func theSectionNeedsDomains() {
        #expect(renderedErrors("dns:\n  ttl: 5\n") == [
            "test.yaml:2:3: error: dns: names no domains (add 'domains:' with the test domains to answer for)",
        ])
        #expect(renderedErrors("dns: {domains: [a.test]}\n") == [
            "test.yaml:1:16: error: dns.domains: expected a mapping of domain names, found a list",
        ])
        #expect(renderedErrors("dns: {domains: {a.test: nxdomian}}\n") == [
            "test.yaml:1:25: error: dns.domains.a.test: unknown value 'nxdomian' (did you mean 'nxdomain'?); expected nxdomain, servfail or no-answer",
        ])
        #expect(renderedErrors("dns: {ttl: -1, domains: {}}\n") == [
            "test.yaml:1:12: error: dns.ttl: must be at least 0, found -1",
        ])
    }
}
