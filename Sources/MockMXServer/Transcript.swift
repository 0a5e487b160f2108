#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rendering bytes for transcripts: one entry per line, CRLF removed, anything unprintable escaped
/// so a person sees exactly what was on the wire.
enum Transcript {
    static func lines(_ bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, 0x0A, bytes.count - start) else {
                lines.append(printable(UnsafeBufferPointer(start: base + start, count: bytes.count - start)))
                break
            }
            let lineFeed = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var end = lineFeed
            if end > start, base[end - 1] == 0x0D { end -= 1 }
            lines.append(printable(UnsafeBufferPointer(start: base + start, count: end - start)))
            start = lineFeed + 1
        }
        return lines
    }

    static func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ printable($0) }) { return text }
        return printable(Array(bytes))
    }

    static func printable(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { printable($0) }
    }

    static func printable(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var plain = true
        for byte in bytes where byte < 0x20 || byte == 0x7F || byte == 0x5C {
            plain = false
            break
        }
        if plain { return String(decoding: bytes, as: UTF8.self) }
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
