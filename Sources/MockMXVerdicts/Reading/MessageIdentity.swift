/// How a message is known across sessions: by its `Message-ID` header when the host still has the content (the
/// live host's retained messages, a spool's `.eml` files), else by its envelope and size. The transcript keeps
/// no content, so the engine is handed the Message-IDs by queue id (`250 … queued as ID`).
public enum MessageIdentity {
    /// The `Message-ID` header's value in `content`'s header section (unfolded, trimmed); nil when it has none.
    public static func messageID(in content: [UInt8]) -> String? {
        var lineStart = 0
        var found: [UInt8]?
        while lineStart < content.count {
            var lineEnd = lineStart
            while lineEnd < content.count, content[lineEnd] != 0x0A { lineEnd += 1 }
            var line = content[lineStart..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { break }  // the end of the header section
            if line.first == 0x20 || line.first == 0x09 {
                if found != nil { found! += line }
            } else if found != nil {
                break
            } else if line.count >= 11, isMessageIDName(line.prefix(11)) {
                found = Array(line.dropFirst(11))
            }
            lineStart = lineEnd + 1
        }
        guard let value = found else { return nil }
        let trimmed = value.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self)
    }

    /// `Message-ID:` in any letter case.
    private static func isMessageIDName(_ name: ArraySlice<UInt8>) -> Bool {
        name.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }.elementsEqual("message-id:".utf8)
    }

    /// The queue id a `250 … queued as ID` end-of-data reply names.
    static func queueID(inReply line: String) -> String? {
        let bytes = Array(line.utf8)
        let marker = Array("queued as ".utf8)
        guard bytes.count > marker.count,
            let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) })
        else { return nil }
        let id = bytes[(start + marker.count)...].prefix { $0 != 0x20 }
        return id.isEmpty ? nil : String(decoding: id, as: UTF8.self)
    }
}
