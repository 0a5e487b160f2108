import MockMXCommandLine
import Testing

@Suite struct ListenEntryTests {
    @Test func anEntryMayNameAScenarioAndImplicitTLS() {
        #expect(ListenEntry(parsing: "127.0.0.1:2525") == ListenEntry(address: "127.0.0.1:2525"))
        #expect(
            ListenEntry(parsing: "smtps://0.0.0.0:465=exchange-2003")
                == ListenEntry(address: "0.0.0.0:465", scenario: "exchange-2003", implicitTLS: true))
        #expect(ListenEntry(parsing: "smtp://[::1]:25=a.yaml") == ListenEntry(address: "[::1]:25", scenario: "a.yaml"))
        #expect(ListenEntry(parsing: "[::]:0=/s/x=y.yaml").scenario == "/s/x=y.yaml")
    }

    @Test func lmtpListensOnTCPOrAUnixSocket() {
        #expect(
            ListenEntry(parsing: "lmtp://127.0.0.1:2424=lmtp-mailbox-full")
                == ListenEntry(address: "127.0.0.1:2424", scenario: "lmtp-mailbox-full", lmtp: true))
        #expect(
            ListenEntry(parsing: "lmtp://unix:/run/mx.sock") == ListenEntry(address: "unix:/run/mx.sock", lmtp: true))
        #expect(
            ListenEntry.list(parsing: "0.0.0.0:25 lmtp://unix:/run/a=b.yaml").map(\.lmtp) == [false, true])
        // A scheme only counts in front: this is an address with "lmtp" in it, which fails when bound.
        #expect(ListenEntry(parsing: "unix:/tmp/lmtp://x").lmtp == false)
    }

    @Test func aListIsSplitOnCommasAndWhitespace() {
        #expect(
            ListenEntry.list(parsing: "a:1=x,b:2\nc:3\t d:4 ,, ").map(\.address) == ["a:1", "b:2", "c:3", "d:4"])
        #expect(ListenEntry.list(parsing: " , ").isEmpty)
    }
}
