extension StoredMessage {
    /// The header fields at the top of the content (RFC 5322 §2.2), in order, folded lines unfolded and
    /// values trimmed. The section ends at the first empty line, or at the first line that is neither a
    /// field nor a continuation, as a lenient mail reader would treat it; bytes are decoded as UTF-8 with
    /// invalid sequences replaced.
    var headerFields: [(name: String, value: String)] {
        var fields: [(name: String, value: [UInt8])] = []
        var start = content.startIndex
        while start < content.endIndex {
            let lineFeed = content[start...].firstIndex(of: 0x0A)
            var line = content[start..<(lineFeed ?? content.endIndex)]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { break }
            if line.first == 0x20 || line.first == 0x09 {
                // RFC 5322 §2.2.3: unfolding removes the line break, not the whitespace after it.
                guard !fields.isEmpty else { break }
                fields[fields.count - 1].value += line
            } else {
                guard let colon = line.firstIndex(of: 0x3A) else { break }
                let name = line[..<colon].trimmingWhitespace
                // Field names are printable US-ASCII without the colon (RFC 5322 §3.6.8).
                guard !name.isEmpty, name.allSatisfy({ (0x21...0x7E).contains($0) }) else { break }
                fields.append((String(decoding: name, as: UTF8.self), Array(line[line.index(after: colon)...])))
            }
            guard let lineFeed else { break }
            start = lineFeed + 1
        }
        return fields.map { ($0.name, String(decoding: $0.value[...].trimmingWhitespace, as: UTF8.self)) }
    }
}

extension ArraySlice<UInt8> {
    fileprivate var trimmingWhitespace: ArraySlice<UInt8> {
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = firstIndex(where: { !isWhitespace($0) }), let last = lastIndex(where: { !isWhitespace($0) })
        else { return [] }
        return self[first...last]
    }
}
