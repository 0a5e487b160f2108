/// Rendering bytes for transcripts: one entry per line, CRLF removed, anything unprintable escaped
/// so a person sees exactly what was on the wire.
enum Transcript {
    static func lines(_ bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var lines: [String] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            var end = index
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(printable(bytes[start..<end]))
            start = index + 1
        }
        if start < bytes.count { lines.append(printable(bytes[start..<bytes.count])) }
        return lines
    }

    static func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var text = ""
        for byte in bytes {
            switch byte {
            case 0x0D: text += "\\r"
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x5C: text += "\\\\"
            case 0..<0x20, 0x7F: text += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            default: text.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return text
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
