import MockMXScenario
import Testing

@testable import MockMXServer

/// What `nth:` and `nth-in-message:` see: an event's count in the session and in the transaction, restarted
/// by events that are not counted themselves (no rule on them counts) when they start or end a transaction.
@Suite struct EventCountsTests {
    @Test func uncountedEventsStillRestartTheMessageCount() {
        var counts = EventCounts()
        let rcpt = EventName("rcpt")
        #expect(counts.count(rcpt) == (1, 1))
        #expect(counts.count(rcpt) == (2, 2))
        counts.pass(EventName("noop"))
        #expect(counts.count(rcpt) == (3, 3))
        counts.pass(EventName("mail"))
        #expect(counts.count(rcpt) == (4, 1))
        counts.pass(EventName("data.end"))
        #expect(counts.count(rcpt) == (5, 1))
        counts.pass(EventName("RSET"))   // names are compared without regard to ASCII case
        #expect(counts.count(rcpt) == (6, 1))
    }

    /// Names longer than a packed integer holds are compared as text, and `bdat.last` (9 bytes) ends a message.
    @Test func longNamesAreCountedByTheirText() {
        var counts = EventCounts()
        let long = EventName("x-link2state")
        let other = EventName("x-link2stat")
        #expect(counts.count(long) == (1, 1))
        #expect(counts.count(other) == (1, 1))
        #expect(counts.count(long) == (2, 2))
        counts.pass(EventName("bdat.last"))
        #expect(counts.count(long) == (3, 1))
        // A counted boundary restarts the others' message counts too, and its own count starts at 1.
        #expect(counts.count(EventName("mail")) == (1, 1))
        #expect(counts.count(other) == (2, 1))
    }
}
