import Foundation
@testable import MockMXServer
import Testing

/// The transcript log stores lines as escaped bytes; these pin what a reader gets back.
@Suite struct TranscriptTests {
    @Test func controlBytesAndBackslashAreEscapedAndUTF8IsKept() {
        let line = Array("MAIL FROM:<ü@x>\t\\\u{0}".utf8) + [0x7F, 0x0D]
        #expect(Transcript.printable(line) == "MAIL FROM:<ü@x>\\t\\\\\\x00\\x7F\\r")
        // A line with nothing to escape reads the same way: UTF-8 as text, an invalid byte as U+FFFD.
        #expect(Transcript.printable(Array("RCPT TO:<ü@x>".utf8)) == "RCPT TO:<ü@x>")
        #expect(Transcript.printable([0x41, 0xFF, 0x09]) == "A\u{FFFD}\\t")
    }

    @Test func linesAreSplitAtLineFeedsWithoutTheirCarriageReturns() {
        var lines: [String] = []
        Array("250-one\r\n250 two\nrest".utf8).withUnsafeBufferPointer { buffer in
            Transcript.forEachLine(buffer) { lines.append(Transcript.printable($0)) }
        }
        #expect(lines == ["250-one", "250 two", "rest"])
    }

    @Test func bytesAppendedDirectlyReadBackLikeTextEntries() {
        let record = SessionRecord(id: "s", listener: "l", scenario: "d", clientAddress: "127.0.0.1", maxEntries: 4)
        func appendLine(_ direction: TranscriptEntry.Direction, verb: String? = nil, _ text: String, rule: String? = nil) {
            Array(text.utf8).withUnsafeBufferPointer { bytes in
                record.appendText(direction, rule: rule) { Transcript.appendLine(verb: verb, bytes, to: &$0) }
            }
        }
        appendLine(.client, verb: "MAIL", "FROM:<a@b>\u{1}")
        appendLine(.hostReceived, verb: "DATA", "")
        appendLine(.server, "250 2.1.0 Ok", rule: "rule 0")
        _ = record.append(.note, "noted", rule: "rule 0")
        _ = record.append(.note, "beyond the bound")
        let entries = record.transcript
        #expect(entries.map(\.text) == ["MAIL FROM:<a@b>\\x01", "DATA", "250 2.1.0 Ok", "noted"])
        #expect(entries.map(\.direction) == [.client, .hostReceived, .server, .note])
        #expect(entries.map(\.rule) == [nil, nil, "rule 0", "rule 0"])
        #expect(record.omittedEntryCount == 1)
    }
}

@Suite struct DecimalTests {
    @Test(arguments: [0, 7, 10, 99, 1024, 10_000_000, -42, Int.max, Int.min])
    func decimalDigitsAreThoseOfDescription(_ value: Int) {
        var bytes: [UInt8] = []
        bytes.appendDecimal(value)
        #expect(String(decoding: bytes, as: UTF8.self) == String(value))
    }
}
