import MockMXCommandLine
import Testing

/// The byte budgets and the open-API warning (issue 21): sizes as people write them, every bad one named.
@Suite struct MemoryBudgetSettingsTests {
    @Test(arguments: [
        ("268435456", 268_435_456), ("256MiB", 256 << 20), ("256mib", 256 << 20), ("64M", 64 << 20),
        ("512K", 512 << 10), ("512KiB", 512 << 10), ("1G", 1 << 30), ("2GiB", 2 << 30), ("10B", 10), ("0", 0),
    ])
    func aSizeIsReadInPowersOf1024(_ text: String, _ bytes: Int) {
        #expect(ByteCount(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: [
        "", "MiB", "-1", "1.5M", "256MB", "256 MiB", " 256MiB", "256MiBs", "1T", "0x10", "9223372036854775807K",
        "99999999999999999999", "１２", "12\u{0}",
    ])
    func anythingElseIsNotASize(_ text: String) {
        #expect(ByteCount(parsing: text) == nil)
    }

    @Test func aSizeDescribesItselfInTheLargestEvenUnit() {
        #expect(ByteCount(bytes: 256 << 20).description == "256MiB")
        #expect(ByteCount(bytes: 1 << 30).description == "1GiB")
        #expect(ByteCount(bytes: 1_000).description == "1000")
        #expect(ByteCount(bytes: 0).description == "0")
    }

    private func resolve(
        _ flags: ServeSettings.Flags = .init(), _ environment: [String: String] = [:]
    ) throws(ConfigurationError) -> ServeSettings {
        try ServeSettings.resolve(flags: flags, environment: environment, inContainer: false)
    }

    @Test func theBudgetsDefaultTo256And64MiBAndComeFromFlagsThenVariables() throws {
        let defaults = try resolve()
        #expect(defaults.retainMessageBytes == 256 << 20 && defaults.retainTranscriptBytes == 64 << 20)
        let variables = try resolve(
            .init(), ["MOCKMX_RETAIN_MESSAGE_BYTES": "32M", "MOCKMX_RETAIN_TRANSCRIPT_BYTES": " 1GiB\n"])
        #expect(variables.retainMessageBytes == 32 << 20 && variables.retainTranscriptBytes == 1 << 30)
        let flags = try resolve(
            .init(retainMessageBytes: ByteCount(bytes: 1_000)), ["MOCKMX_RETAIN_MESSAGE_BYTES": "32M"])
        #expect(flags.retainMessageBytes == 1_000)
    }

    @Test func aBadBudgetNamesWhereItCameFrom() {
        func failure(_ flags: ServeSettings.Flags, _ environment: [String: String] = [:]) -> String? {
            do {
                _ = try resolve(flags, environment)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            failure(.init(), ["MOCKMX_RETAIN_MESSAGE_BYTES": "256MB"])
                == "MOCKMX_RETAIN_MESSAGE_BYTES: expected a size above 0 such as 268435456, 256MiB or 64M, "
                + "found '256MB'")
        #expect(
            failure(.init(), ["MOCKMX_RETAIN_TRANSCRIPT_BYTES": "0"])
                == "MOCKMX_RETAIN_TRANSCRIPT_BYTES: must be a size above 0, found 0")
        #expect(
            failure(.init(retainMessageBytes: ByteCount(bytes: 0)))
                == "--retain-message-bytes: must be a size above 0, found 0")
        #expect(failure(.init(), ["MOCKMX_RETAIN_MESSAGE_BYTE": "1M"])?.hasPrefix(
            "MOCKMX_RETAIN_MESSAGE_BYTE: unknown environment variable; did you mean MOCKMX_RETAIN_MESSAGE_BYTES?")
            == true)
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"])
    func loopbackNeedsNoWarning(_ host: String) {
        #expect(APIExposure.isLoopback(host))
        #expect(APIExposure.warning(host: host, address: "x", hasToken: false) == nil)
    }

    @Test(arguments: [
        "0.0.0.0", "::", "[::]", "10.0.0.5", "192.168.1.2", "fe80::1", "128.0.0.1", "127.0.0", "1127.0.0.1",
        "127.0.0.256",
    ])
    func anyOtherAddressWarnsWithoutAToken(_ host: String) throws {
        #expect(!APIExposure.isLoopback(host))
        let warning = try #require(APIExposure.warning(host: host, address: "[\(host)]:8025", hasToken: false))
        #expect(warning.hasPrefix("the control API on [\(host)]:8025 is open to the network without a token"))
        #expect(warning.contains("--api-token or MOCKMX_API_TOKEN"))
        #expect(APIExposure.warning(host: host, address: "[\(host)]:8025", hasToken: true) == nil)
    }
}
