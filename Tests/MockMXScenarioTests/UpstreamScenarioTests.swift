import MockMXScenario
import Testing

/// `upstream:` — a scenario standing in front of a real host — and its bad forms, located.
@Suite struct UpstreamScenarioTests {
    @Test func anAddressAloneUsesTheDefaultTimeouts() throws {
        let scenario = try loadScenario("upstream: 127.0.0.1:2526\n")
        #expect(scenario.upstream == UpstreamSettings(address: HostPort(host: "127.0.0.1", port: 2526)))
        #expect(scenario.upstream?.connectTimeoutMilliseconds == 10_000)
        #expect(!scenario.extensionsGiven)
    }

    @Test func aMappingSetsTheTimeouts() throws {
        let scenario = try loadScenario("upstream: {address: '[::1]:25', connect-timeout: 2s, reply-timeout: 500ms}\n")
        #expect(scenario.upstream?.address == HostPort(host: "::1", port: 25))
        #expect(scenario.upstream?.connectTimeoutMilliseconds == 2_000)
        #expect(scenario.upstream?.replyTimeoutMilliseconds == 500)
    }

    @Test func givenExtensionsAreMarkedSoTheyOverrideTheUpstreams() throws {
        #expect(try loadScenario("upstream: 127.0.0.1:25\nhost: {extensions: [PIPELINING]}\n").extensionsGiven)
        #expect(try !loadScenario("upstream: 127.0.0.1:25\nhost: {hostname: mx.test}\n").extensionsGiven)
    }

    @Test func badUpstreamsAreLocated() {
        #expect(renderedErrors("upstream: mx.example.test:25\n") == [
            "test.yaml:1:11: error: upstream: 'mx.example.test:25' is not the address of a host (use HOST:PORT or "
                + "[IPV6]:PORT, a numeric address and a port above 0)",
        ])
        #expect(renderedErrors("upstream: 127.0.0.1:0\n").count == 1)
        #expect(renderedErrors("upstream: {reply-timeout: 1s}\n") == [
            "test.yaml:1:11: error: upstream: an upstream needs 'address: HOST:PORT'",
        ])
        #expect(renderedErrors("upstream:\n  address: 127.0.0.1:25\n  reply-timeout: soon\n").count == 1)
        #expect(renderedErrors("upstream:\n  adress: 127.0.0.1:25\n") == [
            "test.yaml:2:3: error: upstream.adress: unknown key 'adress' (did you mean 'address'?)",
            "test.yaml:2:3: error: upstream: an upstream needs 'address: HOST:PORT'",
        ])
        #expect(renderedErrors("upstream: [127.0.0.1:25]\n").count == 1)
    }
}

extension UpstreamScenarioTests {
    @Test func startTLSTowardTheUpstreamCanBeSwitchedOff() throws {
        #expect(try loadScenario("upstream: 127.0.0.1:25\n").upstream?.startTLS == true)
        #expect(try loadScenario("upstream: {address: 127.0.0.1:25, starttls: false}\n").upstream?.startTLS == false)
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, starttls: sometimes}\n").count == 1)
    }
}

extension UpstreamScenarioTests {
    @Test func certificateVerificationIsOffUnlessAsked() throws {
        let plain = try #require(try loadScenario("upstream: 127.0.0.1:25\n").upstream)
        #expect(!plain.verify && plain.caFile == nil && plain.serverName == nil)
        let verified = try #require(
            try loadScenario("upstream: {address: 127.0.0.1:25, verify: true, ca-file: /ca.pem, server-name: mx.test}\n")
                .upstream)
        #expect(verified.verify && verified.caFile == "/ca.pem" && verified.serverName == "mx.test")
    }

    @Test func badVerificationSettingsAreLocated() {
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, ca-file: /ca.pem}\n") == [
            "test.yaml:1:44: error: upstream.ca-file: 'ca-file' is used only with 'verify: true'",
        ])
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, verify: true, server-name: ''}\n") == [
            "test.yaml:1:62: error: upstream.server-name: must not be empty",
        ])
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, verify: true, starttls: false}\n") == [
            "test.yaml:1:43: error: upstream.verify: verifying the upstream's certificate needs 'starttls: true'",
        ])
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, verify: perhaps}\n").count == 1)
        #expect(renderedErrors("upstream: {address: 127.0.0.1:25, verfy: true}\n").first?.contains("did you mean 'verify'?") == true)
    }
}
