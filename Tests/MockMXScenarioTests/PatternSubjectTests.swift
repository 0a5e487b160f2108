@testable import MockMXScenario
import Testing

/// The per-event subject: its scan of which bytes occur, shared by all rules, turns most of them away.
@Suite struct PatternSubjectTests {
    @Test func theSubjectEndsAtItsFirstNULAndFoldsASCIILetters() {
        let subject = PatternSubject(Array("TO:<b@x>".utf8) + [0] + Array("zzz".utf8))
        var expected = ByteSet()
        for byte in "to:<b@x>".utf8 { expected.insert(byte) }
        #expect(subject.present == expected)
        #expect(subject.withBytes { Array($0) } == Array("TO:<b@x>".utf8))
    }

    @Test func byteSetsCompareAcrossAllFourWords() {
        var small = ByteSet()
        var large = ByteSet()
        for byte: UInt8 in [0x01, 0x41, 0x99, 0xFF] {
            large.insert(byte)
            #expect(!large.isSubset(of: small) || byte == 0)
            small.insert(byte)
            #expect(large.isSubset(of: small))
        }
        large.insert(0xC0)
        #expect(!large.isSubset(of: small))
        #expect(small.isSubset(of: large))
    }

    /// The byte test is folded, so it is only a first cut: the literal comparison keeps the case.
    @Test func aCaseSensitivePatternStillComparesCase() throws {
        let pattern = try RulePattern("-00")
        #expect(pattern.matches(Array("TO:<a-00@x>".utf8)))
        #expect(!pattern.matches(Array("TO:<a@x>".utf8)))
        let upper = try RulePattern("ABC")
        #expect(!upper.matches(Array("abc".utf8)))
        #expect(upper.matches(Array("xABCx".utf8)))
        #expect(try RulePattern("(?i)ABC").matches(Array("xabcx".utf8)))
    }
}
