import MockMXScenario
import Testing

/// Every kind of problem a scenario file can have, each pinned to its exact rendered diagnostic.
@Suite struct ScenarioLoaderErrorTests {
    @Test func unknownKeySuggestsTheClosestValidKey() {
        #expect(renderedErrors("host:\n  hostnme: mx.test\n") == [
            "test.yaml:2:3: error: host.hostnme: unknown key 'hostnme' (did you mean 'hostname'?)",
        ])
    }

    @Test func unknownKeyWithNothingCloseListsTheValidKeys() {
        #expect(renderedErrors("banner: hello\n") == [
            "test.yaml:1:1: error: banner: unknown key 'banner'; expected summary, extends, host, seed, rules, firewall, dns, expect or upstream",
        ])
    }

    @Test func unknownKeysAreFoundAtEveryLevel() {
        let yaml = """
            host:
              limits: {recipient: 5}
              timeouts: {idel: 5m}
            rules:
              - on: rcpt
                when: {sesion: 1}
                do: default
                comment: typo
            firewall:
              mask-banners: true
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:12: error: host.limits.recipient: unknown key 'recipient' (did you mean 'recipients'?)",
            "test.yaml:3:14: error: host.timeouts.idel: unknown key 'idel' (did you mean 'idle'?)",
            "test.yaml:6:12: error: rules[0].when.sesion: unknown key 'sesion' (did you mean 'session'?)",
            "test.yaml:8:5: error: rules[0].comment: unknown key 'comment'; expected name, on, when or do",
            "test.yaml:10:3: error: firewall.mask-banners: unknown key 'mask-banners' (did you mean 'mask-banner'?)",
        ])
    }

    @Test func threeErrorsGiveThreeDiagnosticsInFileOrder() {
        let yaml = """
            seed: -4
            host:
              pipelining: loose
            rules:
              - on: rcpr
                do: default
            """
        let errors = renderedErrors(yaml)
        #expect(errors.count == 3)
        #expect(errors == [
            "test.yaml:1:7: error: seed: expected a whole number from 0 to 18446744073709551615, found '-4'",
            "test.yaml:3:15: error: host.pipelining: unknown value 'loose'; expected lenient or strict",
            "test.yaml:5:9: error: rules[0].on: unknown event 'rcpr' (did you mean 'rcpt'?)",
        ])
    }

    @Test func wrongTypesSayWhatWasExpected() {
        let yaml = """
            summary: [a, b]
            host:
              extensions: PIPELINING
              limits: 5
            rules: {on: rcpt}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:1:10: error: summary: expected a string, found a list",
            "test.yaml:3:15: error: host.extensions: expected a list of strings, found 'PIPELINING'",
            "test.yaml:4:11: error: host.limits: expected a mapping with keys message-size, recipients and "
                + "line-length, found '5'",
            "test.yaml:5:8: error: rules: expected a list of rules, found a mapping",
        ])
    }

    @Test func listItemsOfTheWrongTypeAreReportedOneByOne() {
        #expect(renderedErrors("host:\n  extensions: [PIPELINING, [SIZE], {a: b}]\n") == [
            "test.yaml:2:28: error: host.extensions[1]: expected a string, found a list",
            "test.yaml:2:36: error: host.extensions[2]: expected a string, found a mapping",
        ])
    }

    @Test func theRootMustBeAMapping() {
        #expect(renderedErrors("- on: rcpt\n") == [
            "test.yaml:1:1: error: expected a mapping with keys summary, extends, host, seed, rules, firewall, dns, expect and upstream, found a list",
        ])
    }

    @Test func yamlSyntaxErrorsCarryTheParsersLocation() {
        #expect(renderedErrors("rules:\n  - on: rcpt\n    do: [default\n") == [
            "test.yaml:4:1: error: invalid YAML: did not find expected ',' or ']' "
                + "(while parsing a flow sequence at 3:9)",
        ])
        #expect(renderedErrors("host:\n  hostname: a: b\n") == [
            "test.yaml:2:14: error: invalid YAML: mapping values are not allowed in this context",
        ])
    }

    @Test func aDuplicateKeyIsReportedWhereItIsRepeated() {
        #expect(renderedErrors("seed: 1\nseed: 2\n") == ["test.yaml:2:1: error: duplicate key 'seed' (first at 1:1)"])
    }

    @Test func duplicateKeysAreFoundInNestedFlowAndQuotedMappings() {
        let yaml = """
            rules:
              - on: rcpt
                do: default
                on: mail
              - {on: rcpt, when: {nth: 1, "nth": 2}, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:4:5: error: duplicate key 'on' (first at 2:5)",
            "test.yaml:5:31: error: duplicate key 'nth' (first at 5:23)",
        ])
    }

    @Test func everyRepetitionOfAKeyIsReported() {
        // The firewall example that once stood in Scenarios/README.md: two alternatives in one block.
        let yaml = """
            firewall: asa-esmtp
            firewall:
              persona: pix-mailguard
            seed: 1
            seed: 2
            'seed': 3
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:1: error: duplicate key 'firewall' (first at 1:1)",
            "test.yaml:5:1: error: duplicate key 'seed' (first at 4:1)",
            "test.yaml:6:1: error: duplicate key 'seed' (first at 4:1)",
        ])
    }

    @Test func aDuplicateBeforeASyntaxErrorIsReportedWithIt() {
        // Past the duplicate the parser meets the syntax error, so the repetition cannot be placed.
        #expect(renderedErrors("host:\n  hostname: a\n  hostname: b\nrules: [\n") == [
            "test.yaml:2:3: error: duplicate key 'hostname' (given again below)",
            "test.yaml:5:1: error: invalid YAML: did not find expected node content (while parsing a flow node at 5:1)",
        ])
    }

    @Test func aSingleBackslashInDoubleQuotesSaysHowToWriteIt() {
        let yaml = #"""
            rules:
              - on: rcpt
                when: {args: "@foo\.test"}
                do: default
            """#
        #expect(renderedErrors(yaml) == [
            #"test.yaml:3:23: error: invalid YAML: found unknown escape character '\.' "#
                + #"(while parsing a quoted scalar at 3:18); in double quotes a backslash starts an escape: "#
                + #"write it doubled ('\\.') or put the text in single quotes ('@foo\.test')"#,
        ])
    }

    @Test func unknownEventsSuggestTheClosestKnownOne() {
        let yaml = """
            rules:
              - {on: rcpr, do: default}
              - {on: data.ends, do: default}
              - {on: "*", do: default}
              - {on: bdat, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:10: error: rules[0].on: unknown event 'rcpr' (did you mean 'rcpt'?)",
            "test.yaml:3:10: error: rules[1].on: unknown event 'data.ends' (did you mean 'data.end'?)",
            "test.yaml:4:10: error: rules[2].on: unknown event '*'; expected connect, ehlo, helo, lhlo, mail, "
                + "rcpt, data, rset, noop, quit, vrfy, expn, help, starttls, auth, xexch50, unknown, data.end, "
                + "data.bytes, bdat.chunk, bdat.last, xexch50.blob, tls or idle, or a command verb",
            "test.yaml:5:10: error: rules[3].on: BDAT is answered after its chunk: use 'bdat.chunk' or 'bdat.last'",
        ])
    }

    @Test func aKnownEventWithSomethingAttachedIsNotTakenForACustomVerb() {
        let yaml = """
            rules:
              - {on: rcpt-to, do: default}
              - {on: MAIL_FROM, do: default}
              - {on: ehlo-name, do: default}
              - {on: "mail from", do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:10: error: rules[0].on: unknown event 'rcpt-to' (did you mean 'rcpt'?); "
                + "for a custom verb of that name write 'on: {verb: rcpt-to}'",
            "test.yaml:3:10: error: rules[1].on: unknown event 'MAIL_FROM' (did you mean 'mail'?)",
            "test.yaml:4:10: error: rules[2].on: unknown event 'ehlo-name' (did you mean 'ehlo'?); "
                + "for a custom verb of that name write 'on: {verb: ehlo-name}'",
            "test.yaml:5:10: error: rules[3].on: unknown event 'mail from' (did you mean 'mail'?)",
        ])
    }

    @Test func anExplicitCustomVerbMustBeAVerbOfItsOwn() {
        let yaml = """
            rules:
              - {on: {verb: rcpt}, do: default}
              - {on: {verb: "mail from"}, do: default}
              - {on: {verb: data.end}, do: default}
              - {on: {vreb: x-foo}, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:17: error: rules[0].on.verb: 'rcpt' is an event of its own, not a custom verb; write 'on: rcpt'",
            "test.yaml:3:17: error: rules[1].on.verb: a verb is letters, digits and '-', starting with a letter; "
                + "found 'mail from'",
            "test.yaml:4:17: error: rules[2].on.verb: 'data.end' is an event of its own, not a custom verb; "
                + "write 'on: data.end'",
            "test.yaml:5:10: error: rules[3].on: missing key 'verb' (the custom command's verb, e.g. 'on: {verb: XCLIENT}')",
            "test.yaml:5:11: error: rules[3].on.vreb: unknown key 'vreb' (did you mean 'verb'?)",
        ])
    }

    @Test func nthInMessageIsACountFromOne() {
        #expect(renderedErrors("rules:\n  - {on: rcpt, when: {nth-in-message: 0}, do: default}\n") == [
            "test.yaml:2:39: error: rules[0].when.nth-in-message: must be at least 1, found 0",
        ])
        #expect(renderedErrors("rules:\n  - {on: rcpt, when: {nth-in-mesage: 2}, do: default}\n") == [
            "test.yaml:2:23: error: rules[0].when.nth-in-mesage: unknown key 'nth-in-mesage' "
                + "(did you mean 'nth-in-message'?)",
        ])
    }

    @Test func unknownActionsSuggestTheClosestKnownOne() {
        let yaml = """
            rules:
              - on: data.end
                do: withold
              - on: data.end
                do: [{rply: "250 ok"}, explode]
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:9: error: rules[0].do: unknown action 'withold' (did you mean 'withhold'?)",
            "test.yaml:5:11: error: rules[1].do[0].rply: unknown action 'rply' (did you mean 'reply'?)",
            "test.yaml:5:28: error: rules[1].do[1]: unknown action 'explode'; expected default, withhold, stall, "
                + "close, reset, drop-message, reply, delay, trickle, truncate or raw",
        ])
    }

    @Test func actionsWithAMissingOrSuperfluousValue() {
        let yaml = """
            rules:
              - on: rcpt
                do:
                  - delay
                  - close: now
                  - reply: "250 ok"
                    delay: 1s
                  - [default]
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:4:9: error: rules[0].do[0]: 'delay' needs a value, e.g. 'delay: 2s'",
            "test.yaml:5:16: error: rules[0].do[1].close: 'close' takes no value; write it as a bare word",
            "test.yaml:6:9: error: rules[0].do[2]: an action is a single key, found 2 ('reply', 'delay'); "
                + "write each action as its own list item",
            "test.yaml:8:9: error: rules[0].do[3]: expected an action such as 'withhold' or 'delay: 2s', found a list",
        ])
    }

    @Test func anEmptyDoListIsAnError() {
        #expect(renderedErrors("rules:\n  - on: rcpt\n    do: []\n") == [
            "test.yaml:3:9: error: rules[0].do: no actions; write at least one (e.g. 'do: default')",
        ])
        #expect(renderedErrors("rules:\n  - on: rcpt\n    do:\n") == [
            "test.yaml:3:8: error: rules[0].do: no actions; write at least one (e.g. 'do: default')",
        ])
    }

    @Test func aRuleNeedsAnEventAndActions() {
        #expect(renderedErrors("rules:\n  - when: {nth: 1}\n") == [
            "test.yaml:2:5: error: rules[0]: missing key 'on' (the event this rule handles, e.g. 'on: rcpt')",
            "test.yaml:2:5: error: rules[0]: missing key 'do' (what to do, e.g. 'do: withhold')",
        ])
    }

    @Test func badRegularExpressionsCarryTheLibrarysMessage() {
        let yaml = """
            rules:
              - on: rcpt
                when: {args: "<(unclosed"}
                do: default
              - on: mail
                when: {helo: "a{2,1}"}
                do: default
            """
        #expect(renderedErrors(yaml) == [
            #"test.yaml:3:18: error: rules[0].when.args: invalid regular expression '<(unclosed': Unmatched ( or \("#,
            "test.yaml:6:18: error: rules[1].when.helo: invalid regular expression 'a{2,1}': Invalid content of \\{\\}",
        ])
    }

    @Test func replyCodesMustBeBetween200And599() {
        let yaml = """
            rules:
              - on: rcpt
                do: {reply: "600 5.0.0 nope"}
              - on: mail
                do: {reply: "199 too low"}
              - on: data
                do: {reply: "Ok then"}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:17: error: rules[0].do.reply: reply code 600 is outside 200-599",
            "test.yaml:5:17: error: rules[1].do.reply: reply code 199 is outside 200-599",
            "test.yaml:7:17: error: rules[2].do.reply: a reply starts with a three-digit code, e.g. '250 2.0.0 Ok', "
                + "found 'Ok then'",
        ])
    }

    @Test func everyLineOfAMultiLineReplyHasTheSameCode() {
        let yaml = """
            rules:
              - on: ehlo
                do:
                  reply: ["250-mx.test", "251 SIZE 100"]
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:4:30: error: rules[0].do.reply[1]: line 2 starts with code 251 but the reply's code is 250; "
                + "every line of a multi-line reply has the same code",
        ])
    }

    @Test func aGreetingMustBe2xx4xxOr5xx() {
        #expect(renderedErrors("host:\n  greeting: \"354 go ahead\"\n") == [
            "test.yaml:2:13: error: host.greeting: a greeting's code must be 2xx, 4xx or 5xx, found 354",
        ])
        #expect(renderedErrors("host:\n  greeting: []\n") == [
            "test.yaml:2:13: error: host.greeting: a reply needs at least one line",
        ])
    }

    @Test func impossibleDurations() {
        let yaml = """
            host:
              timeouts: {idle: 300, hold: 10h}
            rules:
              - on: rcpt
                do: [{delay: -2s}, {trickle: 0ms}, {delay: soon}, {delay: 0.5ms}]
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:20: error: host.timeouts.idle: a duration needs a unit: ms, s or m (e.g. '300ms')",
            "test.yaml:2:31: error: host.timeouts.hold: unknown unit 'h' in '10h'; use ms, s or m",
            "test.yaml:5:18: error: rules[0].do[0].delay: a duration can't be negative, found '-2s'",
            "test.yaml:5:34: error: rules[0].do[1].trickle: must be at least 1ms, found '0ms'",
            "test.yaml:5:48: error: rules[0].do[2].delay: expected a duration such as 500ms, 2s or 5m, found 'soon'",
            "test.yaml:5:63: error: rules[0].do[3].delay: '0.5ms' is not a whole number of milliseconds",
        ])
    }

    @Test func impossibleConditionValues() {
        let yaml = """
            rules:
              - on: rcpt
                when:
                  chance: 1.5
                  session: 0
                  nth: 0
                  message: -1
                  times: many
                do: default
              - on: rcpt
                when: {session: [1, "x+"], chance: 150%}
                do: default
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:4:15: error: rules[0].when.chance: chance must be between 0 and 1, found 1.5",
            "test.yaml:5:16: error: rules[0].when.session: sessions are numbered from 1, found 0",
            "test.yaml:6:12: error: rules[0].when.nth: must be at least 1, found 0",
            "test.yaml:7:16: error: rules[0].when.message: must be at least 1, found -1",
            "test.yaml:8:14: error: rules[0].when.times: expected an integer, found 'many'",
            "test.yaml:11:25: error: rules[1].when.session[1]: expected a session number, a list of them, "
                + "or \"N+\" for session N onwards, found 'x+'",
            "test.yaml:11:40: error: rules[1].when.chance: chance must be between 0 and 1, found 150%",
        ])
    }

    @Test func impossibleLimits() {
        let yaml = """
            host:
              limits:
                message-size: 0
                recipients: -5
                line-length: 1k
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:19: error: host.limits.message-size: must be at least 1, found 0",
            "test.yaml:4:17: error: host.limits.recipients: must be at least 1, found -5",
            "test.yaml:5:18: error: host.limits.line-length: expected an integer, found '1k'",
        ])
    }

    @Test func unknownEnumeratedValuesSuggestTheClosestOne() {
        #expect(renderedErrors("host:\n  line-endings: strct\n  pipelining: Strict\n") == [
            "test.yaml:2:17: error: host.line-endings: unknown value 'strct' (did you mean 'strict'?); "
                + "expected strict, normalize or lax",
            "test.yaml:3:15: error: host.pipelining: unknown value 'Strict' (did you mean 'strict'?); "
                + "expected lenient or strict",
        ])
    }

    @Test func addressRangesThatDoNotParse() {
        let yaml = """
            rules:
              - on: connect
                when: {client: [127.0.0.0/8, 10.0.0/8, "::1/129"]}
                do: default
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:34: error: rules[0].when.client[1]: not an address range: '10.0.0/8' "
                + "(expected e.g. 127.0.0.0/8, ::1/128 or 192.0.2.7)",
            "test.yaml:3:44: error: rules[0].when.client[2]: not an address range: '::1/129' "
                + "(expected e.g. 127.0.0.0/8, ::1/128 or 192.0.2.7)",
        ])
    }

    @Test func bytesBelongsToDataBytesAndDataBytesNeedsIt() {
        let yaml = """
            rules:
              - on: rcpt
                when: {bytes: 10}
                do: reset
              - on: data.bytes
                do: reset
              - on: data.bytes
                when: {bytes: 0}
                do: reset
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:19: error: rules[0].when.bytes: 'bytes' only applies to 'on: data.bytes', not 'rcpt'",
            "test.yaml:5:9: error: rules[1].on: 'on: data.bytes' needs a threshold: 'when: {bytes: N}'",
            "test.yaml:8:19: error: rules[2].when.bytes: must be at least 1, found 0",
        ])
    }

    @Test func conditionsThatCouldNeverMatchTheirEvent() {
        let yaml = """
            rules:
              - on: connect
                when: {args: x, helo: y}
                do: default
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:18: error: rules[0].when.args: 'connect' has no command arguments to match",
            "test.yaml:3:27: error: rules[0].when.helo: no HELO/EHLO name is known yet at 'connect'",
        ])
    }

    @Test func dropMessageOnlyAtTheEndOfData() {
        #expect(renderedErrors("rules:\n  - on: rcpt\n    do: drop-message\n") == [
            "test.yaml:3:9: error: rules[0].do: 'drop-message' applies only to 'data.end' and 'bdat.last', not 'rcpt'",
        ])
    }

    @Test func rawEscapesMustBeValid() {
        let yaml = #"""
            rules:
              - on: rcpt
                do: [{raw: '250 ok\q'}, {raw: '\x4'}, {raw: ""}]
            """#
        #expect(renderedErrors(yaml) == [
            #"test.yaml:3:16: error: rules[0].do[0].raw: unknown escape '\q'; use \r, \n, \t, \0, \\ or \xNN"#,
            #"test.yaml:3:35: error: rules[0].do[1].raw: \x needs two hex digits, as in \x0d"#,
            "test.yaml:3:49: error: rules[0].do[2].raw: raw needs at least one byte (use withhold to send nothing)",
        ])
    }

    @Test func firewallValuesAreValidated() {
        let yaml = """
            firewall:
              persona: pix
              rewrite: xx
              allow-commands: [HELO, "MA IL"]
              max-command-length: 0
              mask-banner: maybe
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:12: error: firewall.persona: unknown value 'pix'; expected pix-mailguard or asa-esmtp",
            "test.yaml:3:12: error: firewall.rewrite: unknown value 'xx' (did you mean 'x'?); expected x or noop",
            "test.yaml:4:26: error: firewall.allow-commands[1]: not a command verb: 'MA IL'",
            "test.yaml:5:23: error: firewall.max-command-length: must be at least 1, found 0",
            "test.yaml:6:16: error: firewall.mask-banner: expected true or false, found 'maybe'",
        ])
    }

    @Test func hostnamesAndKeywordLinesMustBeSingleLines() {
        let yaml = """
            host:
              hostname: mx remote test
              extensions: ["PIPELINING\\r\\nX", ""]
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:13: error: host.hostname: a hostname is one word with no spaces or control characters, found 'mx remote test'",
            "test.yaml:3:16: error: host.extensions[0]: an EHLO keyword line cannot be empty or contain CR/LF",
            "test.yaml:3:35: error: host.extensions[1]: an EHLO keyword line cannot be empty or contain CR/LF",
        ])
    }

    @Test func aRuleMustBeAMapping() {
        #expect(renderedErrors("rules:\n  - withhold\n") == [
            "test.yaml:2:5: error: rules[0]: expected a mapping with keys name, on, when and do, found 'withhold'",
        ])
    }

    @Test func diagnosticsUseTheGivenFileName() {
        #expect(renderedErrors("seed: x\n", file: "scenarios/flaky.yaml") == [
            "scenarios/flaky.yaml:1:7: error: seed: expected a whole number from 0 to 18446744073709551615, found 'x'",
        ])
    }

    @Test func anUnreadableFileIsOneDiagnosticWithoutPosition() {
        #expect(throws: ScenarioLoadError.self) { try ScenarioLoader.load(contentsOf: "/nonexistent/x.yaml") }
        do {
            _ = try ScenarioLoader.load(contentsOf: "/nonexistent/x.yaml")
        } catch {
            #expect(error.description == "/nonexistent/x.yaml: error: cannot open: No such file or directory")
        }
    }

    @Test func resolvingAnUnknownNameSuggestsABundledOne() {
        do {
            _ = try ScenarioLoader.resolve("greylst")
            Issue.record("resolved a name that does not exist")
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.description.hasPrefix(
                "greylst: error: no bundled scenario or file named 'greylst' (did you mean 'greylist'?); "
                    + "bundled scenarios: accept-all, "
            ))
        }
    }
}
