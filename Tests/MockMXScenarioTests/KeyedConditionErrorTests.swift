import MockMXScenario
import Testing

/// `greylist:`, `limit:`, `sender:` and `recipient:` in `when:`: each mistake pinned to its located diagnostic.
@Suite struct KeyedConditionErrorTests {
    @Test func aGreylistWithDefaultsLoads() throws {
        let scenario = try loadScenario("rules: [{on: rcpt, when: {greylist: }, do: {reply: 451 4.7.1 later}}]")
        #expect(scenario.rules[0].conditions.greylist == GreylistCondition(
            key: [.client, .sender, .recipient], delayMilliseconds: 300_000, expireMilliseconds: 35 * 86_400_000))
    }

    @Test func durationsTakeHoursAndDaysToo() throws {
        let scenario = try loadScenario("""
            rules: [{on: rcpt, when: {greylist: {delay: 1h, expire: 2d}}, do: default}]
            """)
        #expect(scenario.rules[0].conditions.greylist?.delayMilliseconds == 3_600_000)
        #expect(scenario.rules[0].conditions.greylist?.expireMilliseconds == 172_800_000)
    }

    @Test func keyPartsAreCheckedAgainstTheEvent() {
        let yaml = """
            rules:
              - on: mail
                when: {greylist: {key: [client, recipient]}}
                do: default
              - on: connect
                when: {limit: {key: [client, helo], max: 2}}
                do: close
              - on: rcpt
                when: {limit: {key: [client, clinet, client], max: 2}}
                do: default
              - on: data.end
                when: {greylist: {}}
                do: default
              - on: ehlo
                when: {limit: {key: sender, max: 1}}
                do: default
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:3:37: error: rules[0].when.greylist.key[1]: 'recipient' is known only on 'rcpt', not 'mail'",
            "test.yaml:6:34: error: rules[1].when.limit.key[1]: no HELO/EHLO name is known yet at 'connect'",
            "test.yaml:9:34: error: rules[2].when.limit.key[1]: unknown value 'clinet' (did you mean 'client'?); "
                + "expected client, helo, sender, recipient or recipient-domain",
            "test.yaml:9:42: error: rules[2].when.limit.key[2]: 'client' is already part of the key",
            "test.yaml:12:22: error: rules[3].when.greylist: the default key (client, sender, recipient) needs "
                + "'on: rcpt'; on 'data.end' give a 'key:' such as 'key: client'",
            "test.yaml:15:25: error: rules[4].when.limit.key: 'ehlo' has no sender; key on it from 'mail' on",
        ])
    }

    @Test func limitsNeedAMaximumWithinBounds() {
        let yaml = """
            rules:
              - {on: mail, when: {limit: {key: client, window: 1m}}, do: default}
              - {on: mail, when: {limit: {max: 0}}, do: default}
              - {on: mail, when: {limit: {max: 1000000}}, do: default}
              - {on: mail, when: {limit: {max: 5, window: 0s, burst: 2}}, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:30: error: rules[0].when.limit: missing key 'max' (how many events per key get through, "
                + "e.g. 'max: 5')",
            "test.yaml:3:36: error: rules[1].when.limit.max: must be at least 1, found 0",
            "test.yaml:4:36: error: rules[2].when.limit.max: must be at most 100000, found 1000000",
            "test.yaml:5:47: error: rules[3].when.limit.window: must be at least 1ms, found '0s'",
            "test.yaml:5:51: error: rules[3].when.limit.burst: unknown key 'burst'; expected key, max or window",
        ])
    }

    @Test func greylistDurationsMustMakeSense() {
        let yaml = """
            rules:
              - {on: rcpt, when: {greylist: {delay: 10m, expire: 5m}}, do: default}
              - {on: rcpt, when: {greylist: {delay: 5x}}, do: default}
              - {on: rcpt, when: {greylist: {expire: -1d}}, do: default}
              - {on: rcpt, when: {greylist: 5m}, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:54: error: rules[0].when.greylist.expire: expire must not be shorter than delay, "
                + "or no retry could ever pass",
            "test.yaml:3:41: error: rules[1].when.greylist.delay: unknown unit 'x' in '5x'; use ms, s or m",
            "test.yaml:4:42: error: rules[2].when.greylist.expire: expected a duration such as 5m, 4h or 35d, "
                + "found '-1d'",
            "test.yaml:5:33: error: rules[3].when.greylist: expected a mapping with keys key, delay and expire, "
                + "found '5m'",
        ])
    }

    @Test func envelopePatternsNeedATransaction() {
        let yaml = """
            rules:
              - {on: connect, when: {sender: '@x'}, do: close}
              - {on: mail, when: {recipient: '@x'}, do: default}
              - {on: data, when: {recipient: '(unclosed'}, do: default}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:2:34: error: rules[0].when.sender: 'connect' has no sender to match; use it on mail, rcpt, "
                + "data, xexch50, data.end, data.bytes, bdat.chunk, bdat.last or xexch50.blob",
            "test.yaml:3:34: error: rules[1].when.recipient: 'mail' has no recipients to match; use it on rcpt, "
                + "data, xexch50, data.end, data.bytes, bdat.chunk, bdat.last or xexch50.blob",
            "test.yaml:4:34: error: rules[2].when.recipient: invalid regular expression '(unclosed': "
                + "Unmatched ( or \\(",
        ])
    }

    @Test func remainingNeedsAKeyedCondition() {
        let yaml = """
            rules:
              - on: rcpt
                when: {session: 1}
                do: {reply: "451 4.7.1 come back in {remaining}"}
            """
        #expect(renderedErrors(yaml) == [
            "test.yaml:4:9: error: rules[0].do: '{remaining}' is the time left of a 'greylist:' or 'limit:' "
                + "condition, which this rule does not have",
        ])
    }
}
