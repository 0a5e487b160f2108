import Foundation
import MockMXDNS
import MockMXScenario
import MockMXServer
import Testing

/// The DNS responder on a live host: real resolvers' tools (dig), raw packets, and the API's query log.
@Suite struct DNSResponderTests {
    static let yaml = """
        dns:
          ttl: 60
          domains:
            mx-fallback.test:
              mx: [10 mx1.mx-fallback.test, 20 mx2.mx-fallback.test]
            mx1.mx-fallback.test: {a: 127.0.0.2}
            mx2.mx-fallback.test: {a: 127.0.0.3, aaaa: "::1", ttl: 30}
            nullmx.test: {mx: 0 .}
            nomx.test: {a: 127.0.0.4}
            gone.test: nxdomain
            slowdns.test: no-answer
            broken.test: servfail
        """

    /// A host whose one listener's scenario holds the test domains, with the API and the responder on free ports.
    final class DNSHost {
        let host: MockMXHost
        let dnsPort: Int
        let api: String

        init(sessionRetention: Int = 10_000) throws {
            let scenario = try ScenarioLoader.load(yaml: DNSResponderTests.yaml, file: "dns.yaml")
            host = try MockMXHost(HostConfiguration(
                listeners: [ListenerConfiguration(address: "127.0.0.1:0", scenario: scenario)],
                sessionRetention: sessionRetention, shutdownGraceMilliseconds: 0, apiAddress: "127.0.0.1:0",
                dns: DNSResponderConfiguration(address: "127.0.0.1:0")))
            try host.start()
            dnsPort = try #require(host.dns?.port)
            api = try #require(host.api?.url)
        }

        deinit { host.shutdown(graceMilliseconds: 0) }

        var client: DNSClient { DNSClient(port: dnsPort) }

        /// `dig +short` lines, or dig's status line with `+noall +comments`.
        func dig(_ arguments: [String]) throws -> String {
            let result = try ExternalClient.run(
                ["dig", "@127.0.0.1", "-p", String(dnsPort), "+time=1", "+tries=1"] + arguments)
            return result.output
        }
    }

    @Test(.enabled(if: ExternalClient.available("dig"))) func digSeesEveryRecordKind() throws {
        let live = try DNSHost()
        #expect(
            try live.dig(["+short", "mx-fallback.test", "MX"]) == "10 mx1.mx-fallback.test.\n20 mx2.mx-fallback.test.\n")
        #expect(try live.dig(["+short", "mx1.mx-fallback.test", "A"]) == "127.0.0.2\n")
        #expect(try live.dig(["+short", "MX2.MX-Fallback.test", "AAAA"]) == "::1\n")
        #expect(try live.dig(["+short", "nullmx.test", "MX"]) == "0 .\n")
        #expect(try live.dig(["+short", "nomx.test", "MX"]) == "")
        let ttl = try live.dig(["+noall", "+answer", "mx2.mx-fallback.test", "A"])
        #expect(
            ttl.split(whereSeparator: \.isWhitespace).map(String.init)
                == ["mx2.mx-fallback.test.", "30", "IN", "A", "127.0.0.3"])
        let any = try live.dig(["+notcp", "+short", "mx2.mx-fallback.test", "ANY"])
        #expect(Set(any.split(separator: "\n")) == ["127.0.0.3", "::1"])
    }

    @Test(.enabled(if: ExternalClient.available("dig"))) func digSeesTheFailuresAsConfigured() throws {
        let live = try DNSHost()
        func status(_ name: String, _ type: String = "A") throws -> String? {
            let output = try live.dig(["+noall", "+comments", name, type])
            return output.split(separator: "\n").first { $0.contains("status:") }
                .flatMap { $0.split(separator: "status: ").last?.split(separator: ",").first.map(String.init) }
        }
        #expect(try status("gone.test", "MX") == "NXDOMAIN")
        #expect(try status("www.gone.test") == "NXDOMAIN")
        #expect(try status("mx9.mx-fallback.test") == "NXDOMAIN")
        #expect(try status("broken.test", "MX") == "SERVFAIL")
        #expect(try status("example.com", "MX") == "REFUSED")
        #expect(try status("nomx.test", "MX") == "NOERROR")
        let flags = try live.dig(["+noall", "+comments", "nomx.test", "A"])
        #expect(flags.contains("flags: qr aa"))
        let silent = try live.dig(["slowdns.test", "MX"])
        #expect(silent.contains("timed out") || silent.contains("no servers could be reached"), "\(silent)")
    }

    @Test func rawQueriesGetTheirIDAndCodes() throws {
        let live = try DNSHost()
        let reply = try #require(
            try live.client.exchange(DNSClient.query(id: 0xBEEF, name: "mx-fallback.test", type: 15)))
        #expect(reply.id == 0xBEEF && reply.responseCode == 0 && reply.authoritative && reply.answerCount == 2)
        let chaos = try #require(
            try live.client.exchange(DNSClient.query(id: 2, name: "nomx.test", type: 1, recordClass: 3)))
        #expect(chaos.responseCode == 5)
        #expect(try live.client.exchange(DNSClient.query(id: 3, name: "slowdns.test", type: 15), timeout: 0.5) == nil)
    }

    /// Garbage, truncated packets, names past 255 bytes, compression loops, answers sent as questions: none
    /// harms the responder, and the next good query is answered.
    @Test func malformedPacketsLeaveTheResponderAnswering() throws {
        let live = try DNSHost()
        let good = DNSClient.query(id: 7, name: "nomx.test", type: 1)
        var generator = SystemRandomNumberGenerator()
        var packets: [[UInt8]] = [
            // Shorter than the header: these crashed libevent 2.1's evdns server until a socket filter dropped them.
            [],
            [0x12],
            Array(good.prefix(11)),
            Array(good.prefix(12)),
            Array(good.prefix(good.count - 3)),
            // A label length pointing past the end.
            Array(good.prefix(12)) + [63, 0x61],
            // A compression pointer to itself.
            Array(good.prefix(12)) + [0xC0, 12, 0, 1, 0, 1],
            // 300 bytes of labels: longer than any name.
            Array(good.prefix(12)) + Array(repeating: [63] + Array(repeating: 0x61, count: 63), count: 5).flatMap { $0 }
                + [0, 0, 1, 0, 1],
            // Zero questions, and 65535 of them.
            Array(good.prefix(4)) + [0, 0] + Array(good[6...]),
            Array(good.prefix(4)) + [0xFF, 0xFF] + Array(good[6...]),
            // A response, not a query.
            [0, 7, 0x81, 0x80] + Array(good[4...]),
        ]
        for _ in 0..<50 {
            let length = Int.random(in: 1...600, using: &generator)
            packets.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        for packet in packets {
            if let reply = try live.client.exchange(packet, timeout: 0.05) {
                #expect([0, 1, 3, 5].contains(reply.responseCode), "\(packet.prefix(16)) got \(reply.responseCode)")
            }
        }
        let after = try #require(try live.client.exchange(good))
        #expect(after.id == 7 && after.responseCode == 0 && after.answerCount == 1)
    }

    /// A flood of queries is answered one by one and the log keeps only as many as sessions are kept.
    @Test func aFloodIsAnsweredAndTheLogStaysBounded() throws {
        let live = try DNSHost(sessionRetention: 50)
        for id in 0..<500 {
            let reply = try #require(
                try live.client.exchange(DNSClient.query(id: UInt16(id), name: "nomx.test", type: 1)))
            #expect(reply.id == UInt16(id))
        }
        #expect(live.host.dnsQueries.all.count == 50)
        #expect(live.host.dnsQueries.totalAccepted == 500)
    }

    @Test func theAPIListsQueriesInTimeOrderPagesThemAndResetClearsThem() throws {
        let live = try DNSHost()
        _ = try live.client.exchange(DNSClient.query(id: 1, name: "MX-Fallback.test", type: 15))
        _ = try live.client.exchange(DNSClient.query(id: 2, name: "gone.test", type: 15))
        _ = try live.client.exchange(DNSClient.query(id: 3, name: "slowdns.test", type: 1), timeout: 0.2)
        let all = try Curl.run(["\(live.api)/api/v1/dns"]).object()
        #expect(all["total"] as? Int == 3 && all["accepted"] as? Int == 3 && all["dropped"] as? Int == 0)
        #expect(all["start"] as? Int == 0 && all["count"] as? Int == 3)
        let queries = try #require(all["queries"] as? [[String: Any]])
        #expect(Set(queries[0].keys) == ["time", "client", "name", "type", "rcode", "answers"])
        #expect(queries[0]["name"] as? String == "MX-Fallback.test" && queries[0]["type"] as? String == "MX")
        #expect(queries[0]["client"] as? String == "127.0.0.1" && queries[0]["rcode"] as? String == "NOERROR")
        #expect(queries[0]["answers"] as? [String] == ["10 mx1.mx-fallback.test.", "20 mx2.mx-fallback.test."])
        #expect(queries[1]["rcode"] as? String == "NXDOMAIN" && queries[2]["rcode"] is NSNull)
        let times = queries.compactMap { $0["time"] as? String }
        #expect(times.count == 3 && times == times.sorted())

        let page = try Curl.run(["\(live.api)/api/v1/dns?start=1&limit=1"]).object()
        #expect(page["total"] as? Int == 3 && page["start"] as? Int == 1 && page["count"] as? Int == 1)
        #expect((page["queries"] as? [[String: Any]])?.first?["name"] as? String == "gone.test")
        let past = try Curl.run(["\(live.api)/api/v1/dns?start=10"]).object()
        #expect(past["count"] as? Int == 0 && past["start"] as? Int == 3)

        for bad in ["start=-1", "limit=x", "limit=1&limit=2", "offset=1"] {
            let response = try Curl.run(["\(live.api)/api/v1/dns?\(bad)"])
            #expect(response.status == 400, "\(bad)")
            #expect(try response.errorMessage().isEmpty == false)
        }
        #expect(try Curl.run(["-X", "POST", "\(live.api)/api/v1/dns"]).status == 405)

        #expect(try Curl.run(["-X", "POST", "\(live.api)/api/v1/reset"]).status == 200)
        let cleared = try Curl.run(["\(live.api)/api/v1/dns"]).object()
        #expect(cleared["total"] as? Int == 0 && cleared["accepted"] as? Int == 0)
        // The responder still answers after a reset.
        #expect(try live.client.exchange(DNSClient.query(id: 4, name: "nomx.test", type: 1))?.answerCount == 1)
    }

    @Test func domainsDefinedDifferentlyByTwoListenersStopTheStart() throws {
        let first = try ScenarioLoader.load(yaml: "dns: {domains: {a.test: {a: 127.0.0.2}}}", file: "one.yaml")
        let second = try ScenarioLoader.load(yaml: "dns: {domains: {A.test: nxdomain}}", file: "two.yaml")
        let host = try MockMXHost(HostConfiguration(
            listeners: [
                ListenerConfiguration(address: "127.0.0.1:0", scenario: first),
                ListenerConfiguration(address: "127.0.0.1:0", scenario: second),
                ListenerConfiguration(address: "127.0.0.1:0", scenario: first),
            ],
            dns: DNSResponderConfiguration(address: "127.0.0.1:0")))
        let expected = "the DNS domain 'a.test' is defined more than once, differently (in two.yaml and elsewhere); "
            + "define it once"
        #expect { try host.start() } throws: { "\($0)" == expected }
    }

    @Test func aDNSAddressInUseIsAClearError() throws {
        let live = try DNSHost()
        let host = try MockMXHost(HostConfiguration(
            listeners: [ListenerConfiguration(address: "127.0.0.1:0")],
            dns: DNSResponderConfiguration(address: "127.0.0.1:\(live.dnsPort)")))
        #expect { try host.start() } throws: {
            "\($0)" == "cannot serve DNS on 127.0.0.1:\(live.dnsPort): Address already in use"
        }
    }
}

/// `mockmx serve --dns` and `mockmx check` with a `dns:` section.
@Suite struct DNSCommandLineTests {
    private func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-\(name)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func serveAnswersForTheDNSFileAndTheListenersScenarios() throws {
        let zone = try temporaryFile("zone.yaml", "dns: {domains: {zone.test: {mx: 10 mx.zone.test}}}\n")
        let persona = try temporaryFile("persona.yaml", "dns: {domains: {mx.zone.test: {a: 127.0.0.2}}}\n")
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-\(UUID())-ready.json").path
        defer { for path in [zone, persona, ready] { try? FileManager.default.removeItem(atPath: path) } }
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0=\(persona)", "--api", "none", "--dns", "127.0.0.1:0=\(zone)",
            "--ready-file", ready,
        ])
        #expect(serve.line()?.hasPrefix("mockmx: listening on 127.0.0.1:") == true)
        let announced = try #require(serve.line())
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ready)))
        let dns = try #require((document as? [String: Any])?["dns"] as? [String: Any])
        let port = try #require(dns["port"] as? Int)
        #expect(announced == "mockmx: answering DNS for the test domains on udp 127.0.0.1:\(port)")
        let client = DNSClient(port: port)
        #expect(try client.exchange(DNSClient.query(id: 1, name: "zone.test", type: 15))?.answerCount == 1)
        #expect(try client.exchange(DNSClient.query(id: 2, name: "mx.zone.test", type: 1))?.answerCount == 1)
        #expect(try client.exchange(DNSClient.query(id: 3, name: "example.com", type: 1))?.responseCode == 5)
        #expect(serve.terminate().status == 0)
    }

    @Test func theLogsShowEveryQuestion() throws {
        let zone = try temporaryFile("zone.yaml", "dns: {domains: {zone.test: {mx: 10 mx.zone.test}}}\n")
        defer { try? FileManager.default.removeItem(atPath: zone) }
        let json = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "none", "--dns", "127.0.0.1:0=\(zone)", "--log-format", "json",
        ])
        _ = json.line()
        let announced = try #require(json.line())
        #expect(announced.contains(#""event":"dns""#))
        let port = try #require(announced.split(separator: ",").first { $0.hasPrefix(#""port":"#) }
            .flatMap { Int($0.dropFirst(#""port":"#.count).prefix { $0.isNumber }) })
        _ = try DNSClient(port: port).exchange(DNSClient.query(id: 1, name: "Zone.test", type: 15))
        let logged = try #require(json.line())
        #expect(logged.contains(#""event":"dns-query","client":"127.0.0.1","name":"Zone.test","type":"MX","#
            + #""rcode":"NOERROR","answers":["10 mx.zone.test."]}"#))
        #expect(json.terminate().status == 0)

        let verbose = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "none", "--dns", "127.0.0.1:\(port)=\(zone)", "--verbose",
        ])
        _ = verbose.line()
        _ = verbose.line()
        _ = try DNSClient(port: port).exchange(DNSClient.query(id: 2, name: "other.test", type: 1))
        let (status, _, errors) = verbose.terminate()
        #expect(status == 0)
        #expect(errors.contains("[dns] 127.0.0.1 A other.test -> REFUSED\n"), "\(errors)")
    }

    @Test func serveRefusesADNSFileWithoutDomainsAndCheckCountsThem() throws {
        let plain = try temporaryFile("plain.yaml", "summary: no records\n")
        let zone = try temporaryFile("zone.yaml", "dns: {domains: {a.test: nxdomain, b.test: servfail}}\n")
        defer { for path in [plain, zone] { try? FileManager.default.removeItem(atPath: path) } }
        let refused = try ExternalClient.run([BuiltProducts.mockmx, "serve", "--api", "none", "--listen", "127.0.0.1:0",
                                              "--dns", "127.0.0.1:0=\(plain)"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("--dns: \(plain) has no dns: section with the test domains"))
        let checked = try ExternalClient.run([BuiltProducts.mockmx, "check", zone])
        #expect(checked.status == 0 && checked.output == "\(zone): ok (0 rule(s), 2 DNS domain(s))\n")
    }
}
