#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rendering bytes for transcripts: one entry per line, CRLF removed, control bytes and `\` escaped so a
/// person sees exactly what was on the wire. Other bytes are kept and read as UTF-8.
enum Transcript {
    /// Calls `body` with each line of `bytes`, without its LF or CR LF.
    static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, 0x0A, bytes.count - start) else {
                body(UnsafeBufferPointer(start: base + start, count: bytes.count - start))
                return
            }
            let lineFeed = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var end = lineFeed
            if end > start, base[end - 1] == 0x0D { end -= 1 }
            body(UnsafeBufferPointer(start: base + start, count: end - start))
            start = lineFeed + 1
        }
    }

    static func printable(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { printable($0) }
    }

    static func printable(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var escaped: [UInt8] = []
        appendPrintable(bytes, to: &escaped)
        return String(decoding: escaped, as: UTF8.self)
    }

    /// Appends `verb` (as is), a space and `bytes` escaped: a command line as the transcript shows it.
    static func appendLine(verb: String?, _ bytes: UnsafeBufferPointer<UInt8>, to text: inout [UInt8]) {
        if let verb {
            text += verb.utf8
            if !bytes.isEmpty { text.append(0x20) }
        }
        appendPrintable(bytes, to: &text)
    }

    /// Appends `bytes` escaped (`\r`, `\n`, `\t`, `\\`, `\xNN`) to `out`: how the transcript log stores a
    /// line without building a `String` for it.
    static func appendPrintable(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard bytes.contains(where: needsEscape) else {
            out.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            guard needsEscape(byte) else {
                out.append(byte)
                continue
            }
            out.append(0x5C)
            switch byte {
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x5C: out.append(0x5C)
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out.append(contentsOf: [UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == 0x5C
    }
}

extension [UInt8] {
    /// Appends `value` in decimal ASCII digits.
    mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }
}
