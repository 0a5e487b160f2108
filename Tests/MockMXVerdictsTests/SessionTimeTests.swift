import Foundation
import MockMXVerdicts
import Testing

@Suite struct SessionTimeTests {
    @Test func formatsMicrosecondsInUTCAndReadsThemBack() {
        let text = SessionTime.format(secondsSince1970: 1_796_161_800.123456)
        #expect(text == "2026-12-01T21:50:00.123456Z")
        #expect(abs(SessionTime.parse(text)! - 1_796_161_800.123456) < 1e-6)
    }

    /// Milliseconds as Foundation's ISO 8601 style writes them (what envelopes and lists showed before).
    @Test func millisecondsMatchFoundationsISO8601Style() {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true)
            .timeZone(separator: .omitted)
        // 3151369330.791 (2069-11-11T04:22:10.791Z, a random pick in CI): through seconds since 1970 it came out a millisecond later than Foundation's.
        for seconds in [0, 1_796_161_800.123456, 1_796_161_800.9999, 951_782_400.5, 4_102_444_799.999, 3_151_369_330.7909999]
            + (0..<20_000).map({ _ in Double.random(in: 0..<4_102_444_800, using: &generator) }) {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(
                SessionTime.format(secondsSinceReferenceDate: date.timeIntervalSinceReferenceDate)
                    == date.formatted(style), "\(seconds)")
        }
    }

    @Test func readsOtherFractionsAndZones() {
        #expect(SessionTime.parse("2026-12-01T21:50:00Z") == 1_796_161_800)
        #expect(SessionTime.parse("2026-12-01T22:50:00.5+0100") == 1_796_161_800.5)
        #expect(SessionTime.parse("2026-12-01T21:50:00.250+00:00") == 1_796_161_800.25)
        #expect(SessionTime.parse("1969-12-31T23:59:59Z") == -1)
    }

    @Test func refusesWhatIsNotATime() {
        for text in ["", "yesterday", "2026-13-01T00:00:00Z", "2026-12-01T21:50:00", "2026-12-01T21:50:00.Z",
                     "2026-12-01T21:50:00Zjunk", "2026-12-01 21:50:00Z"] {
            #expect(SessionTime.parse(text) == nil, "\(text)")
        }
    }
}
