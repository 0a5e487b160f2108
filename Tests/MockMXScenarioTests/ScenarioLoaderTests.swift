import MockMXScenario
import SMTPProtocol
import Testing

/// What a valid document loads into.
@Suite struct ScenarioLoaderTests {
    @Test func anEmptyDocumentIsTheDefaultHost() throws {
        let scenario = try loadScenario("", file: "empty.yaml")
        #expect(scenario.name == "empty.yaml")
        #expect(scenario.summary == nil)
        #expect(scenario.host == SMTPServerConfiguration())
        #expect(scenario.timeouts == ScenarioTimeouts(idleMilliseconds: 300_000, holdMilliseconds: 600_000))
        #expect(scenario.seed == 1)
        #expect(scenario.rules.isEmpty)
        #expect(scenario.firewall == nil)
    }

    @Test func theNameCanBeGivenSeparatelyFromTheFile() throws {
        let scenario = try ScenarioLoader.load(yaml: "rules: [{on: rcpt, do: close}]", file: "<api>", name: "posted")
        #expect(scenario.name == "posted")
        #expect(scenario.rules[0].location == "<api>:1:9")
    }

    @Test func hostKeysMapOntoTheServerConfiguration() throws {
        let scenario = try loadScenario("""
            summary: A strict little host.
            host:
              hostname: mx.remote.test
              limits: {message-size: 2048, recipients: 3, line-length: 512}
              line-endings: strict
              pipelining: strict
              timeouts: {idle: 5m, hold: 90s}
            seed: 42
            """)
        #expect(scenario.summary == "A strict little host.")
        #expect(scenario.host.hostname == "mx.remote.test")
        #expect(scenario.host.limits == SMTPLimits(messageSize: 2048, recipients: 3, commandLineLength: 512))
        #expect(scenario.host.lineEndings == .strict)
        #expect(scenario.host.pipelining == .strict)
        #expect(scenario.timeouts == ScenarioTimeouts(idleMilliseconds: 300_000, holdMilliseconds: 90_000))
        #expect(scenario.seed == 42)
        // No extensions given: the defaults, built from the limits.
        #expect(scenario.host.extensions == ["PIPELINING", "SIZE 2048", "8BITMIME", "ENHANCEDSTATUSCODES"])
        #expect(scenario.host.greeting == SMTPReply(220, nil, "mx.remote.test ESMTP mockmx"))
    }

    @Test func greetingSubstitutesTheHostnameWhereverItIsWritten() throws {
        let scenario = try loadScenario("""
            host:
              greeting: "220 {hostname} Microsoft ESMTP MAIL Service ready"
              hostname: mail.test
            """)
        #expect(scenario.host.greeting.code == 220)
        #expect(scenario.host.greeting.lines == ["mail.test Microsoft ESMTP MAIL Service ready"])
    }

    @Test func aGreetingListIsAMultiLineGreeting() throws {
        let scenario = try loadScenario("""
            host:
              hostname: mx.test
              greeting: ["220-{hostname} ESMTP", "220-No UCE", "220 ready"]
            """)
        #expect(Array(scenario.host.greeting.encoded(enhancedStatusCodes: false))
            == Array(ascii: "220-mx.test ESMTP\r\n220-No UCE\r\n220 ready\r\n"))
    }

    @Test func aGreetingBlockScalarIsSplitIntoLines() throws {
        let scenario = try loadScenario("""
            host:
              greeting: |
                554-{hostname} no SMTP service here
                554 go away
            """)
        #expect(scenario.host.greeting.code == 554)
        #expect(scenario.host.greeting.lines == ["mockmx.test no SMTP service here", "go away"])
    }

    @Test func aGreetingWithoutACodeIs220() throws {
        let scenario = try loadScenario("host:\n  greeting: \"{hostname} ESMTP ready\"\n")
        #expect(scenario.host.greeting == SMTPReply(code: 220, lines: ["mockmx.test ESMTP ready"]))
    }

    @Test func extensionsAreVerbatimAndInOrderWithoutSubstitution() throws {
        let scenario = try loadScenario("""
            host:
              extensions: [TURN, 8bitmime, "X-EXPS GSSAPI NTLM LOGIN", "AUTH=LOGIN", "X-{hostname}"]
            """)
        #expect(scenario.host.extensions
            == ["TURN", "8bitmime", "X-EXPS GSSAPI NTLM LOGIN", "AUTH=LOGIN", "X-{hostname}"])
        #expect(scenario.host.limits.messageSize == SMTPLimits().messageSize)
    }

    @Test func anAdvertisedSizeBecomesTheLimitUnlessOneIsGiven() throws {
        let advertised = try loadScenario("host:\n  extensions: [PIPELINING, SIZE 5000]\n")
        #expect(advertised.host.limits.messageSize == 5000)
        let explicit = try loadScenario("host:\n  extensions: [SIZE 5000]\n  limits: {message-size: 7000}\n")
        #expect(explicit.host.limits.messageSize == 7000)
        #expect(explicit.host.extensions == ["SIZE 5000"])
        let unlimited = try loadScenario("host:\n  extensions: [SIZE 0]\n")
        #expect(unlimited.host.limits.messageSize == SMTPLimits().messageSize)
    }

    @Test func anEmptyExtensionListAdvertisesNothing() throws {
        let scenario = try loadScenario("host:\n  extensions: []\n")
        #expect(scenario.host.extensions.isEmpty)
    }

    @Test func integersMayUseUnderscoresAndLeadingZerosAreNotOctal() throws {
        let scenario = try loadScenario("host:\n  limits: {message-size: 10_485_760, recipients: 010}\n")
        #expect(scenario.host.limits.messageSize == 10_485_760)
        #expect(scenario.host.limits.recipients == 10)
    }

    @Test func jsonLoadsLikeYaml() throws {
        let json = """
            {"summary": "via the API", "host": {"hostname": "json.test", "extensions": ["PIPELINING", "XEXCH50"]},
             "seed": 7, "rules": [{"on": "xexch50.blob", "when": {"session": [1, 2], "chance": 0.5},
             "do": [{"delay": "2s"}, "withhold"]}], "firewall": {"persona": "pix-mailguard"}}
            """
        let yaml = """
            summary: via the API
            host:
              hostname: json.test
              extensions: [PIPELINING, XEXCH50]
            seed: 7
            rules:
              - on: xexch50.blob
                when: {session: [1, 2], chance: 0.5}
                do: [delay: 2s, withhold]
            firewall:
              persona: pix-mailguard
            """
        var fromJSON = try ScenarioLoader.load(yaml: json, file: "api.json", name: "same")
        var fromYAML = try ScenarioLoader.load(yaml: yaml, file: "api.yaml", name: "same")
        #expect(fromJSON.rules[0].location == "api.json:2:23")
        fromJSON.rules[0].location = ""
        fromYAML.rules[0].location = ""
        // Each keeps the text it came from, for the web UI to show.
        #expect(fromJSON.source == json && fromYAML.source == yaml)
        fromJSON.source = nil
        fromYAML.source = nil
        #expect(fromJSON == fromYAML)
        #expect(fromJSON.rules[0].actions == [.delay(milliseconds: 2000), .withhold])
    }

    @Test func rulesKeepTheirPositionLocationAndName() throws {
        let scenario = try loadScenario("""
            rules:
              - name: greylist first contact
                on: RCPT
                when: {session: 1}
                do:
                  reply: "451 4.7.1 Greylisting in action, please come back in 00:05:00"
              - on: X-LINK2STATE
                do: default
            """, file: "greylist.yaml")
        #expect(scenario.rules.map(\.index) == [0, 1])
        #expect(scenario.rules.map(\.location) == ["greylist.yaml:2:5", "greylist.yaml:7:5"])
        #expect(scenario.rules[0].name == "greylist first contact")
        #expect(scenario.rules[1].name == nil)
        #expect(scenario.rules.map(\.event) == ["rcpt", "x-link2state"])
    }

    @Test func verbsThatAreRealCommandsNearAKnownEventAreAccepted() throws {
        // LHLO is one letter from HELO, but it is LMTP's greeting verb, not a typo.
        let scenario = try loadScenario("rules:\n  - {on: LHLO, do: default}\n  - {on: xclient, do: default}\n")
        #expect(scenario.rules.map(\.event) == ["lhlo", "xclient"])
    }

    @Test func aCustomVerbCanBeNamedExplicitly() throws {
        // Taken as a typo or as `rcpt` with something attached when written as a bare event name.
        let scenario = try loadScenario("""
            rules:
              - on: {verb: RCPT-TO}
                do: {reply: "250 2.0.0 ok"}
              - {on: {verb: rcpr}, do: default}
              - {on: {verb: X-LINK2STATE}, do: default}
            """)
        #expect(scenario.rules.map(\.event) == ["rcpt-to", "rcpr", "x-link2state"])
    }

    @Test func everyKnownEventLoads() throws {
        for event in ScenarioEvent.known {
            let condition = event == "data.bytes" ? "\n    when: {bytes: 1}" : ""
            // No reply is proposed on tls, so `default` cannot apply there.
            let action = event == "tls" ? "{delay: 1ms}" : "default"
            let scenario = try loadScenario("rules:\n  - on: \(event)\(condition)\n    do: \(action)\n")
            #expect(scenario.rules[0].event == event)
        }
    }

    @Test func repliesKeepTheirTextVerbatimIncludingTrailingSpaces() throws {
        let scenario = try loadScenario("""
            rules:
              - on: xexch50
                do:
                  reply: "504 Need to authenticate first "
            """)
        guard case let .reply(reply) = scenario.rules[0].actions[0] else {
            Issue.record("expected a reply action")
            return
        }
        #expect(Array(reply.encoded(enhancedStatusCodes: true)) == Array(ascii: "504 Need to authenticate first \r\n"))
    }

    @Test func aReplyListIsAMultiLineReplyAndHostnameIsSubstituted() throws {
        let scenario = try loadScenario("""
            host: {hostname: mx.test}
            rules:
              - on: ehlo
                do:
                  reply: ["250-{hostname} hello", "250-PIPELINING", "XEXCH50"]
            """)
        let expected = SMTPReply(code: 250, lines: ["mx.test hello", "PIPELINING", "XEXCH50"])
        #expect(scenario.rules[0].actions == [.reply(expected)])
    }

    @Test func everyActionForm() throws {
        let scenario = try loadScenario(#"""
            rules:
              - on: data.end
                do:
                  - delay: 1.5s
                  - trickle: 500ms
                  - truncate: 5
                  - reply: "250 2.0.0 Ok"
                  - default
                  - withhold:
                  - stall
                  - close
                  - reset
                  - drop-message
                  - raw: "250 OK\n"
                  - {delay: 2m}
            """#)
        #expect(scenario.rules[0].actions == [
            .delay(milliseconds: 1500), .trickle(milliseconds: 500), .truncate(bytes: 5),
            .reply(SMTPReply(code: 250, lines: ["2.0.0 Ok"])), .useDefault, .withhold, .stall, .close, .reset,
            .dropMessage, .raw(Array(ascii: "250 OK\n")), .delay(milliseconds: 120_000),
        ])
    }

    @Test func rawDecodesEscapesInEveryQuotingStyle() throws {
        let scenario = try loadScenario(#"""
            rules:
              - on: rcpt
                do:
                  - raw: "250 ok\r\n"
                  - raw: '250 ok\r\n'
                  - raw: 250 ok\x0d\x0a
                  - raw: "\xff\\x00\t"
                  - raw: 'caf\xc3\xa9 é\\'
            """#)
        #expect(scenario.rules[0].actions == [
            .raw(Array(ascii: "250 ok\r\n")),
            .raw(Array(ascii: "250 ok\r\n")),
            .raw(Array(ascii: "250 ok\r\n")),
            // YAML turns "\xff" into U+00FF; the author meant the byte. "\\x00" reaches us as \x00.
            .raw([0xFF, 0x00, 0x09]),
            .raw([0x63, 0x61, 0x66, 0xC3, 0xA9, 0x20, 0xC3, 0xA9, 0x5C]),
        ])
    }

    @Test func conditionsInEveryForm() throws {
        let scenario = try loadScenario("""
            rules:
              - on: rcpt
                when:
                  args: "<[^>]*@greylist\\\\.test>"
                  helo: "(?i)^client"
                  session: "3+"
                  nth: 2
                  message: 4
                  times: 5
                  chance: 25%
                  client: [127.0.0.0/8, "::1/128"]
                do: default
              - on: data.bytes
                when: {bytes: 4096, session: [1, 2, "5+"], client: 192.0.2.7, chance: 0}
                do: reset
            """)
        let first = scenario.rules[0].conditions
        #expect(first.arguments?.source == "<[^>]*@greylist\\.test>")
        #expect(first.helo?.source == "(?i)^client")
        #expect(first.helo?.isCaseInsensitive == true)
        #expect(first.session == SessionSelector(numbers: [], from: 3))
        #expect(first.nth == 2)
        #expect(first.message == 4)
        #expect(first.times == 5)
        #expect(first.chance == 0.25)
        #expect(first.client?.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(first.bytes == nil)
        let second = scenario.rules[1].conditions
        #expect(second.bytes == 4096)
        #expect(second.session == SessionSelector(numbers: [1, 2], from: 5))
        #expect(second.client?.map(\.description) == ["192.0.2.7/32"])
        #expect(second.chance == 0)
    }

    @Test func anchorsAndAliasesAreResolved() throws {
        let scenario = try loadScenario("""
            rules:
              - on: rcpt
                do: &later
                  reply: "451 4.3.0 Try again later"
              - on: mail
                do: *later
            """)
        #expect(scenario.rules[0].actions == scenario.rules[1].actions)
    }

    @Test func firewallPersonaAloneOrWithOverrides() throws {
        let shorthand = try loadScenario("firewall: pix-mailguard\n")
        #expect(shorthand.firewall == FirewallConfiguration(persona: .pixMailguard))
        let overridden = try loadScenario("""
            firewall:
              persona: pix-mailguard
              rewrite: noop
              drop-split-dot: false
              allow-commands: [helo, mail, rcpt, data, quit, xexch50]
            """)
        var expected = FirewallConfiguration(persona: .pixMailguard)
        expected.disallowedCommandRewrite = .noop
        expected.dropSplitDot = false
        expected.allowCommands = ["HELO", "MAIL", "RCPT", "DATA", "QUIT", "XEXCH50"]
        #expect(overridden.firewall == expected)
    }

    @Test func firewallKnobsSpelledOut() throws {
        let scenario = try loadScenario("""
            firewall:
              mask-banner: true
              deny-commands: [STARTTLS]
              mask-extensions: [starttls, AUTH=LOGIN]
              mask-unknown-extensions: true
              strip-extensions: [CHUNKING, BINARYMIME]
              swallow-after: xexch50
              drop-split-dot: true
              max-command-length: 512
              max-recipients: 100
            """)
        #expect(scenario.firewall == FirewallConfiguration(
            maskBanner: true,
            denyCommands: ["STARTTLS"],
            maskExtensions: ["STARTTLS", "AUTH=LOGIN"],
            maskUnknownExtensions: true,
            stripExtensions: ["CHUNKING", "BINARYMIME"],
            swallowAfter: "XEXCH50",
            dropSplitDot: true,
            maxCommandLength: 512,
            maxRecipients: 100
        ))
    }

    @Test func firewallPresetsMatchTheDevices() {
        let pix = FirewallConfiguration(persona: .pixMailguard)
        #expect(pix.maskBanner)
        #expect(pix.allowCommands == ["HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"])
        #expect(pix.disallowedCommandRewrite == .xs)
        #expect(pix.dropSplitDot)
        #expect(pix.maxCommandLength == nil)
        let asa = FirewallConfiguration(persona: .asaESMTP)
        #expect(asa.maskBanner)
        #expect(asa.allowCommands == nil)
        #expect(asa.denyCommands == ["STARTTLS"])
        #expect(asa.maskExtensions == ["STARTTLS"])
        #expect(asa.maskUnknownExtensions)
        #expect(asa.maxCommandLength == 512)
        #expect(asa.maxRecipients == 100)
        #expect(!asa.dropSplitDot)
        #expect(!FirewallConfiguration.knownExtensionKeywords.contains("XEXCH50"))
        #expect(FirewallConfiguration.knownExtensionKeywords.contains("PIPELINING"))
    }

    @Test func loadsFromAFile() throws {
        let path = ScratchFile.uniquePath()
        let yaml = "host: {hostname: file.test}\nrules:\n  - {on: quit, do: reset}\n"
        #expect(ScratchFile.write(yaml, to: path))
        defer { ScratchFile.remove(path) }
        let scenario = try ScenarioLoader.load(contentsOf: path)
        #expect(scenario.name == path)
        #expect(scenario.host.hostname == "file.test")
        #expect(scenario.rules[0].location == "\(path):3:5")
        let resolved = try ScenarioLoader.resolve(path)
        #expect(resolved == scenario)
    }
}
