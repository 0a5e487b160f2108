import MockMXScenario
import Testing

/// The keyed state fed with times: postgrey's greylisting, anvil's sliding windows, and the bound.
@Suite struct KeyedStateTableTests {
    private let triplet = KeyedStateTable.Key(rule: 0, value: Array("127.0.0.1\0a@x.test\0b@y.test".utf8))
    private let greylist = GreylistCondition(key: [.client, .sender, .recipient], delayMilliseconds: 300_000,
                                             expireMilliseconds: 3_600_000)

    @Test func aNewTripletIsRefusedForTheWholeDelay() {
        var table = KeyedStateTable()
        #expect(table.greylist(triplet, greylist, now: 1_000) == .holds(remainingMilliseconds: 300_000))
        #expect(table.count == 1)
    }

    @Test func anEarlyRetryIsRefusedAgainWithoutRestartingTheDelay() {
        var table = KeyedStateTable()
        _ = table.greylist(triplet, greylist, now: 0)
        #expect(table.greylist(triplet, greylist, now: 100_000) == .holds(remainingMilliseconds: 200_000))
        #expect(table.greylist(triplet, greylist, now: 299_999) == .holds(remainingMilliseconds: 1))
        #expect(table.greylist(triplet, greylist, now: 300_000) == .passes)
    }

    @Test func aPassedTripletStaysPassedWhileItComesBackWithinExpire() {
        var table = KeyedStateTable()
        _ = table.greylist(triplet, greylist, now: 0)
        #expect(table.greylist(triplet, greylist, now: 400_000) == .passes)
        #expect(table.greylist(triplet, greylist, now: 400_000 + 3_600_000) == .passes)
        #expect(table.greylist(triplet, greylist, now: 400_000 + 7_200_000 + 1) == .holds(remainingMilliseconds: 300_000))
    }

    @Test func anotherSenderIsGreylistedOnItsOwn() {
        var table = KeyedStateTable()
        _ = table.greylist(triplet, greylist, now: 0)
        let other = KeyedStateTable.Key(rule: 0, value: Array("127.0.0.1\0c@x.test\0b@y.test".utf8))
        #expect(table.greylist(other, greylist, now: 400_000) == .holds(remainingMilliseconds: 300_000))
        #expect(table.greylist(triplet, greylist, now: 400_000) == .passes)
    }

    @Test func aSlidingWindowRefusesBeyondTheMaximumAndForgetsOldEvents() {
        var table = KeyedStateTable()
        let limit = RateLimitCondition(key: [.client], maximum: 2, windowMilliseconds: 60_000)
        let client = KeyedStateTable.Key(rule: 1, value: Array("192.0.2.7".utf8))
        #expect(table.limit(client, limit, now: 0) == .passes)
        #expect(table.limit(client, limit, now: 10_000) == .passes)
        #expect(table.limit(client, limit, now: 20_000) == .holds(remainingMilliseconds: 40_000))
        // Refused events are not counted: the first leaves the window at 60 s, and one more passes.
        #expect(table.limit(client, limit, now: 59_999) == .holds(remainingMilliseconds: 1))
        #expect(table.limit(client, limit, now: 60_000) == .passes)
        #expect(table.limit(client, limit, now: 60_001) == .holds(remainingMilliseconds: 9_999))
        #expect(table.entries.map(\.entry) == [.window([10_000, 60_000])])
    }

    @Test func aLimitWithoutAWindowCountsForever() {
        var table = KeyedStateTable()
        let mailbox = RateLimitCondition(key: [.recipient], maximum: 3, windowMilliseconds: nil)
        let recipient = KeyedStateTable.Key(rule: 0, value: Array("full@y.test".utf8))
        for time in [Int64(0), 1, 2] { #expect(table.limit(recipient, mailbox, now: time) == .passes) }
        #expect(table.limit(recipient, mailbox, now: 86_400_000 * 365) == .holds(remainingMilliseconds: nil))
    }

    @Test func beyondItsCapacityTheOldestKeyIsEvicted() {
        var table = KeyedStateTable(capacity: 2)
        let keys = (0..<3).map { KeyedStateTable.Key(rule: 0, value: Array("k\($0)".utf8)) }
        for (time, key) in keys.enumerated() { _ = table.greylist(key, greylist, now: Int64(time)) }
        #expect(table.count == 2)
        #expect(table.evictions == 1)
        #expect(table.entries.map(\.key) == [keys[1], keys[2]])
        // The evicted key is new again: its delay starts over.
        #expect(table.greylist(keys[0], greylist, now: 400_000) == .holds(remainingMilliseconds: 300_000))
        #expect(table.entries.map(\.key) == [keys[2], keys[0]])
    }

    @Test func evictionStaysBoundedOverManyKeys() {
        var table = KeyedStateTable(capacity: 100)
        for index in 0..<10_000 {
            _ = table.greylist(KeyedStateTable.Key(rule: 0, value: Array("k\(index)".utf8)), greylist, now: 0)
        }
        #expect(table.count == 100)
        #expect(table.evictions == 9_900)
        #expect(table.entries.count == 100)
    }

    @Test func keyPartsReadBackAsText() {
        #expect(triplet.parts == ["127.0.0.1", "a@x.test", "b@y.test"])
    }

    @Test func theClockScalesDurationsAndRunsScenarioTimeFaster() {
        let clock = ScenarioClock(scale: 0.01) { 3_000 }
        #expect(clock.now() == 300_000)
        #expect(clock.real(milliseconds: 300_000) == 3_000)
        #expect(clock.real(milliseconds: 10) == 1)
        #expect(clock.real(milliseconds: 0) == 0)
        let unscaled = ScenarioClock { 42 }
        #expect(unscaled.now() == 42 && unscaled.real(milliseconds: 5) == 5)
    }
}
