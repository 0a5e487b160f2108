import Foundation

/// A session's transcript, packed: per entry the time (8 bytes, the `Date`'s bit pattern), the direction
/// (1), the rule as an index into `rules` (2, `0xFFFF` for none) and the text's length (4), then the text.
struct TranscriptLog {
    private static let header = 15
    private static let noRule = UInt16.max
    private static let directions: [TranscriptEntry.Direction] = [.client, .hostReceived, .server, .note]

    private var bytes: [UInt8] = []
    /// The distinct rule labels this session's entries name (a handful at most).
    private(set) var rules: [String] = []
    /// The ids of the messages the session delivered, in order (retained in memory or not).
    var messages: [String] = []
    private(set) var count = 0
    private(set) var omitted = 0
    private let maxEntries: Int
    var endedAt: Date?
    var endReason: SessionEnd?

    init(maxEntries: Int) {
        self.maxEntries = maxEntries
    }

    /// The packed log's allocation and the rule labels.
    var byteCount: Int {
        bytes.capacity + rules.reduce(0) { $0 + $1.utf8.count }
    }

    mutating func append(_ entry: TranscriptEntry) {
        var text = entry.text
        append(time: entry.time, direction: entry.direction, rule: entry.rule) { bytes in
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    /// Appends an entry whose text `writeText` appends to the log, as UTF-8.
    mutating func append(
        time: Date, direction: TranscriptEntry.Direction, rule label: String?, text writeText: (inout [UInt8]) -> Void
    ) {
        guard count < maxEntries else {
            omitted += 1
            return
        }
        count += 1
        var rule = TranscriptLog.noRule
        if let label {
            if let index = rules.lastIndex(of: label) {
                rule = UInt16(index)
            } else if rules.count < Int(TranscriptLog.noRule) {
                rule = UInt16(rules.count)
                rules.append(label)
            }
        }
        // The header in one append: 15 bytes packed into two words on the stack; the length is filled in
        // once the text is written.
        var header: (UInt64, UInt64) = (time.timeIntervalSinceReferenceDate.bitPattern.littleEndian, 0)
        withUnsafeMutableBytes(of: &header) { raw in
            raw[8] = TranscriptLog.code(direction)
            raw.storeBytes(of: rule.littleEndian, toByteOffset: 9, as: UInt16.self)
        }
        let headerStart = bytes.count
        withUnsafeBytes(of: &header) { bytes.append(contentsOf: $0.prefix(TranscriptLog.header)) }
        writeText(&bytes)
        let length = UInt32(truncatingIfNeeded: bytes.count - headerStart - TranscriptLog.header)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: headerStart + 11, as: UInt32.self) }
    }

    var entries: [TranscriptEntry] {
        var entries: [TranscriptEntry] = []
        entries.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + TranscriptLog.header <= raw.count {
                let time = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let direction = TranscriptLog.directions[Int(raw[offset + 8])]
                let rule = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 9, as: UInt16.self))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 11, as: UInt32.self)))
                let start = offset + TranscriptLog.header
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]), as: UTF8.self)
                entries.append(
                    TranscriptEntry(
                        time: Date(timeIntervalSinceReferenceDate: Double(bitPattern: time)), direction: direction,
                        text: text, rule: rule == TranscriptLog.noRule ? nil : rules[Int(rule)]))
                offset = start + length
            }
        }
        return entries
    }

    private static func code(_ direction: TranscriptEntry.Direction) -> UInt8 {
        switch direction {
        case .client: 0
        case .hostReceived: 1
        case .server: 2
        case .note: 3
        }
    }
}
