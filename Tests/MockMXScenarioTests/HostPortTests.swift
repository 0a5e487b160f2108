import MockMXScenario
import Testing

/// The one `HOST:PORT` syntax of listeners, the control API and the health probe.
@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:2525", "127.0.0.1", 2525, "127.0.0.1:2525"), ("[::1]:0", "::1", 0, "[::1]:0"),
        ("localhost:25", "127.0.0.1", 25, "127.0.0.1:25"), ("0.0.0.0:25", "0.0.0.0", 25, "0.0.0.0:25"),
        ("[2001:db8::1]:587", "2001:db8::1", 587, "[2001:db8::1]:587"),
    ])
    func anAddressWithAPortParses(text: String, host: String, port: Int, written: String) throws {
        let parsed = try #require(HostPort(text))
        #expect(parsed.host == host)
        #expect(Int(parsed.port) == port)
        #expect(parsed.description == written)
        #expect(parsed.socketAddress != nil)
    }

    @Test(arguments: ["", "2525", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "mx.example:25",
        "::1:25x", "[::1]", "256.0.0.1:25", "127.0.0.1:25 "])
    func anythingElseDoesNot(text: String) {
        #expect(HostPort(text) == nil)
        #expect(HostPort.invalid(text).contains("HOST:PORT"))
    }
}
