import MockMXVerdicts
import Testing

@Suite struct SessionTimeTests {
    @Test func formatsMicrosecondsInUTCAndReadsThemBack() {
        let text = SessionTime.format(secondsSince1970: 1_796_161_800.123456)
        #expect(text == "2026-12-01T21:50:00.123456Z")
        #expect(abs(SessionTime.parse(text)! - 1_796_161_800.123456) < 1e-6)
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
