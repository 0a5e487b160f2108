import MockMXCommandLine
import MockMXScenario
import Testing

/// Flags, then `MOCKMX_*` variables, then the defaults — with every bad value named.
@Suite struct ServeSettingsTests {
    private func resolve(
        _ flags: ServeSettings.Flags = .init(), _ environment: [String: String] = [:], inContainer: Bool = false
    ) throws(ConfigurationError) -> ServeSettings {
        try ServeSettings.resolve(flags: flags, environment: environment, inContainer: inContainer)
    }

    private func error(
        _ flags: ServeSettings.Flags = .init(), _ environment: [String: String] = [:]
    ) -> ConfigurationError? {
        do {
            _ = try resolve(flags, environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func withNothingSetTheHostListensOnLoopback() throws {
        let settings = try resolve()
        #expect(settings.listeners == [ListenEntry(address: "127.0.0.1:2525")])
        #expect(settings.apiAddress == "127.0.0.1:8025")
        #expect(settings.logFormat == .text)
        #expect(settings.graceSeconds == 5)
        #expect(settings.maxConnections == 20_000)
        #expect(settings.retainMessages == 10_000 && settings.retainSessions == 10_000)
        #expect(settings.spoolDirectory == nil && settings.readyFile == nil && settings.apiToken == nil)
        #expect(!settings.verbose && settings.seed == nil)
    }

    @Test func inAContainerTheDefaultsListenOnEveryInterface() throws {
        let settings = try resolve(inContainer: true)
        #expect(settings.listeners == [ListenEntry(address: "0.0.0.0:2525")])
        #expect(settings.apiAddress == "0.0.0.0:8025")
    }

    @Test func everyVariableIsRead() throws {
        let settings = try resolve(
            .init(),
            [
                "MOCKMX_LISTEN": "0.0.0.0:2525=greylist, smtps://0.0.0.0:465 [::]:2526",
                "MOCKMX_API": "0.0.0.0:9025", "MOCKMX_API_TOKEN": "secret", "MOCKMX_SPOOL": "/spool",
                "MOCKMX_READY_FILE": "/tmp/ready.json", "MOCKMX_LOG_FORMAT": "json", "MOCKMX_GRACE": "0.5",
                "MOCKMX_MAX_CONNECTIONS": "100", "MOCKMX_RETAIN_MESSAGES": "7", "MOCKMX_RETAIN_SESSIONS": "8",
                "MOCKMX_VERBOSE": "yes", "MOCKMX_SEED": "42",
            ])
        #expect(
            settings.listeners == [
                ListenEntry(address: "0.0.0.0:2525", scenario: "greylist"),
                ListenEntry(address: "0.0.0.0:465", implicitTLS: true),
                ListenEntry(address: "[::]:2526"),
            ])
        #expect(settings.apiAddress == "0.0.0.0:9025")
        #expect(settings.apiToken == "secret")
        #expect(settings.spoolDirectory == "/spool" && settings.readyFile == "/tmp/ready.json")
        #expect(settings.logFormat == .json && settings.graceSeconds == 0.5)
        #expect(settings.maxConnections == 100 && settings.retainMessages == 7 && settings.retainSessions == 8)
        #expect(settings.verbose && settings.seed == 42)
    }

    @Test func listenEntriesMaySpanLinesAndCommas() throws {
        let settings = try resolve(.init(), ["MOCKMX_LISTEN": "\n  127.0.0.1:1=a,,\n\t127.0.0.1:2=b ,\n"])
        #expect(settings.listeners.map(\.scenario) == ["a", "b"])
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let settings = try resolve(
            .init(
                listen: ["127.0.0.1:0"], api: "none", apiToken: "flag", spool: "/flag", readyFile: "/flag.json",
                logFormat: .text, grace: 1, maxConnections: 2, retainMessages: 3, retainSessions: 4, seed: 5),
            [
                "MOCKMX_LISTEN": "0.0.0.0:25", "MOCKMX_API": "0.0.0.0:8025", "MOCKMX_API_TOKEN": "variable",
                "MOCKMX_SPOOL": "/variable", "MOCKMX_READY_FILE": "/variable.json", "MOCKMX_LOG_FORMAT": "json",
                "MOCKMX_GRACE": "9", "MOCKMX_MAX_CONNECTIONS": "9", "MOCKMX_RETAIN_MESSAGES": "9",
                "MOCKMX_RETAIN_SESSIONS": "9", "MOCKMX_SEED": "9",
            ])
        #expect(settings.listeners == [ListenEntry(address: "127.0.0.1:0")])
        #expect(settings.apiAddress == nil)
        #expect(settings.apiToken == "flag" && settings.spoolDirectory == "/flag" && settings.readyFile == "/flag.json")
        #expect(settings.logFormat == .text && settings.graceSeconds == 1)
        #expect(settings.maxConnections == 2 && settings.retainMessages == 3 && settings.retainSessions == 4)
        #expect(settings.seed == 5)
    }

    @Test func theVerboseFlagWinsButCannotBeTakenBack() throws {
        #expect(try resolve(.init(verbose: true), ["MOCKMX_VERBOSE": "false"]).verbose)
        #expect(try !resolve(.init(), ["MOCKMX_VERBOSE": "0"]).verbose)
        #expect(try resolve(.init(), ["MOCKMX_VERBOSE": "ON"]).verbose)
    }

    @Test func anEmptyVariableCountsAsUnset() throws {
        let settings = try resolve(.init(), ["MOCKMX_SPOOL": "", "MOCKMX_API_TOKEN": "", "MOCKMX_LISTEN": "  "])
        #expect(settings.spoolDirectory == nil && settings.apiToken == nil)
        #expect(settings.listeners == [ListenEntry(address: "127.0.0.1:2525")])
    }

    @Test func noneSwitchesTheAPIOff() throws {
        #expect(try resolve(.init(), ["MOCKMX_API": "none"]).apiAddress == nil)
        #expect(try resolve(.init(), ["MOCKMX_API": "NONE"]).apiAddress == nil)
    }

    @Test func theMailpitAPIIsOffUnlessAFlagOrVariableAsksForIt() throws {
        #expect(try resolve().mailpitAPIAddress == nil)
        #expect(try resolve(.init(), ["MOCKMX_MAILPIT_API": "0.0.0.0:8026"]).mailpitAPIAddress == "0.0.0.0:8026")
        #expect(try resolve(.init(), ["MOCKMX_MAILPIT_API": "none"]).mailpitAPIAddress == nil)
        var flags = ServeSettings.Flags()
        flags.mailpitAPI = "127.0.0.1:0"
        #expect(try resolve(flags, ["MOCKMX_MAILPIT_API": "0.0.0.0:8026"]).mailpitAPIAddress == "127.0.0.1:0")
        #expect(
            error(.init(), ["MOCKMX_MAILPIT_AP": "x"])?.description
                == "MOCKMX_MAILPIT_AP: unknown environment variable; did you mean MOCKMX_MAILPIT_API?")
    }

    @Test func spoolSyncComesFromTheFlagOrTheVariableAndNeedsASpool() throws {
        #expect(try resolve(.init(spool: "/spool")).spoolSync == false)
        var flags = ServeSettings.Flags(spool: "/spool")
        flags.spoolSync = true
        #expect(try resolve(flags).spoolSync)
        #expect(try resolve(.init(), ["MOCKMX_SPOOL": "/spool", "MOCKMX_SPOOL_SYNC": "yes"]).spoolSync)
        #expect(error(.init(), ["MOCKMX_SPOOL_SYNC": "1"]) == ConfigurationError(
            "MOCKMX_SPOOL_SYNC", "needs a spool (--spool DIR)"))
        #expect(error(.init(spool: "/spool"), ["MOCKMX_SPOOL_SYNC": "sometimes"]) == ConfigurationError(
            "MOCKMX_SPOOL_SYNC", "expected true or false (also 1/0, yes/no, on/off), found 'sometimes'"))
    }

    @Test func anUnknownVariableIsAnErrorWithASuggestion() {
        #expect(
            error(.init(), ["MOCKMX_LISTN": "127.0.0.1:25"])?.description
                == "MOCKMX_LISTN: unknown environment variable; did you mean MOCKMX_LISTEN?")
        let unrelated = error(.init(), ["MOCKMX_COLOUR": "blue", "MOCKMX_SPOOLDIR": "/x"])
        #expect(unrelated?.source == "MOCKMX_COLOUR")
        #expect(unrelated?.message.contains("mockmx reads MOCKMX_LISTEN, MOCKMX_API") == true)
        #expect(unrelated?.message.hasSuffix("(also unknown: MOCKMX_SPOOLDIR)") == true)
    }

    @Test func variablesOfOtherProgramsAreNotMockmxsBusiness() throws {
        _ = try resolve(.init(), ["MOCKMXFOO": "1", "PATH": "/bin", "mockmx_listen": "x"])
    }

    @Test func badValuesNameTheirVariable() {
        #expect(
            error(.init(), ["MOCKMX_MAX_CONNECTIONS": "lots"])?.description
                == "MOCKMX_MAX_CONNECTIONS: expected a whole number above 0, found 'lots'")
        #expect(
            error(.init(), ["MOCKMX_RETAIN_MESSAGES": "0"])?.description
                == "MOCKMX_RETAIN_MESSAGES: must be a whole number above 0, found 0")
        #expect(
            error(.init(), ["MOCKMX_LOG_FORMAT": "yaml"])?.description
                == "MOCKMX_LOG_FORMAT: expected 'text' or 'json', found 'yaml'")
        #expect(
            error(.init(), ["MOCKMX_GRACE": "5s"])?.description
                == "MOCKMX_GRACE: expected a number of seconds such as 5 or 0.5, found '5s'")
        #expect(error(.init(), ["MOCKMX_GRACE": "-1"])?.source == "MOCKMX_GRACE")
        #expect(error(.init(), ["MOCKMX_SEED": "-1"])?.source == "MOCKMX_SEED")
        #expect(error(.init(), ["MOCKMX_VERBOSE": "maybe"])?.source == "MOCKMX_VERBOSE")
        #expect(error(.init(), ["MOCKMX_LISTEN": "=greylist"])?.source == "MOCKMX_LISTEN")
        #expect(
            error(.init(), ["MOCKMX_LISTEN": "127.0.0.1:25="])?.description
                == "MOCKMX_LISTEN: '127.0.0.1:25=' names no scenario after the '='")
    }

    @Test func badFlagsNameTheirFlag() {
        #expect(error(.init(grace: -1))?.source == "--grace")
        #expect(
            error(.init(maxConnections: 0))?.description
                == "--max-connections: must be a whole number above 0, found 0")
        #expect(error(.init(apiToken: ""))?.source == "--api-token")
        #expect(error(.init(listen: ["=x"]))?.source == "--listen")
    }

    @Test func aVariableIsTrimmed() throws {
        #expect(try resolve(.init(), ["MOCKMX_MAX_CONNECTIONS": " 12\n"]).maxConnections == 12)
    }

    @Test func containersAreRecognisedByTheirMarks() {
        #expect(ContainerDetection.isContainer(environment: [:], fileExists: { $0 == "/.dockerenv" }))
        #expect(ContainerDetection.isContainer(environment: [:], fileExists: { $0 == "/run/.containerenv" }))
        #expect(ContainerDetection.isContainer(environment: ["container": "oci"], fileExists: { _ in false }))
        #expect(!ContainerDetection.isContainer(environment: ["container": ""], fileExists: { _ in false }))
    }

    @Test func theDNSResponderComesFromTheFlagOrTheVariable() throws {
        #expect(try resolve().dns == nil)
        #expect(
            try resolve(.init(dns: "127.0.0.1:53=zone.yaml")).dns
                == ListenEntry(address: "127.0.0.1:53", scenario: "zone.yaml"))
        #expect(try resolve(.init(), ["MOCKMX_DNS": " 0.0.0.0:53\n"]).dns == ListenEntry(address: "0.0.0.0:53"))
        #expect(try resolve(.init(dns: "127.0.0.1:0"), ["MOCKMX_DNS": "0.0.0.0:53"]).dns?.address == "127.0.0.1:0")
        #expect(error(.init(dns: "smtps://127.0.0.1:53")) == ConfigurationError(
            "--dns", "takes HOST:PORT[=SCENARIO] (UDP), no scheme; found 'smtps://127.0.0.1:53'"))
        #expect(error(.init(), ["MOCKMX_DNS": "127.0.0.1:53="]) == ConfigurationError(
            "MOCKMX_DNS", "'127.0.0.1:53=' names no scenario after the '='"))
        #expect(error(.init(), ["MOCKMX_DSN": "127.0.0.1:53"])?.message.contains("did you mean MOCKMX_DNS?") == true)
    }

    @Test func theClockScaleComesFromTheFlagOrTheEnvironment() throws {
        #expect(try resolve().clockScale == 1)
        #expect(try resolve(.init(), ["MOCKMX_CLOCK_SCALE": "0.01"]).clockScale == 0.01)
        #expect(try resolve(.init(clockScale: 0.5), ["MOCKMX_CLOCK_SCALE": "0.01"]).clockScale == 0.5)
        #expect(
            error(.init(), ["MOCKMX_CLOCK_SCALE": "fast"])?.description
                == "MOCKMX_CLOCK_SCALE: expected a number above 0 such as 0.01, found 'fast'")
        #expect(
            error(.init(clockScale: 0))?.description
                == "--clock-scale: must be a number above 0 and at most 1000 (0.01: a 5-minute greylist in 3 s), "
                + "found 0.0")
        #expect(error(.init(), ["MOCKMX_CLOCK_SCALE": "nan"])?.source == "MOCKMX_CLOCK_SCALE")
        #expect(error(.init(), ["MOCKMX_CLOCK_SCALE": "-1"])?.source == "MOCKMX_CLOCK_SCALE")
        #expect(error(.init(), ["MOCKMX_CLOCK_SCALE": "1e9"])?.source == "MOCKMX_CLOCK_SCALE")
    }

    @Test func theUpstreamComesFromTheFlagOrTheVariable() throws {
        #expect(try resolve().upstream == nil)
        var flags = ServeSettings.Flags()
        flags.upstream = "127.0.0.1:2526"
        #expect(try resolve(flags, ["MOCKMX_UPSTREAM": "[::1]:25"]).upstream == HostPort(host: "127.0.0.1", port: 2526))
        #expect(try resolve(.init(), ["MOCKMX_UPSTREAM": "[::1]:25"]).upstream == HostPort(host: "::1", port: 25))
    }

    @Test func aBadUpstreamIsNamed() {
        #expect(
            error(.init(), ["MOCKMX_UPSTREAM": "mx.example.test:25"])?.description
                == "MOCKMX_UPSTREAM: expected HOST:PORT or [IPV6]:PORT of the host to proxy, found 'mx.example.test:25'")
        var flags = ServeSettings.Flags()
        flags.upstream = "127.0.0.1:0"
        #expect(error(flags)?.source == "--upstream")
    }
}
