/// RFC 5321 §4.2 reply syntax, checked on the wire form:
/// `*( code "-" [text] CRLF ) code [ SP text ] CRLF`, the same code on every line, 200…599.
public enum ReplySyntax {
    /// What text may hold: RFC 5321's `textstring` (HT and printable ASCII) for the protocol's own replies;
    /// anything but CR and LF for replies a person wrote into a scenario (their bytes are their choice, but
    /// a line break inside a line would change the reply's framing).
    public enum Text {
        case ascii
        case anyButLineBreaks
    }

    /// Nil when `wire` is one well-formed reply; otherwise what is wrong with it.
    public static func problem(_ wire: [UInt8], text: Text = .ascii) -> String? {
        guard wire.count >= 5, wire.suffix(2) == [0x0D, 0x0A] else { return "does not end with CRLF" }
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < wire.count {
            if wire[index] == 0x0A {
                guard index > start, wire[index - 1] == 0x0D else { return "bare LF" }
                lines.append(wire[start..<(index - 1)])
                start = index + 1
            }
            index += 1
        }
        var code: ArraySlice<UInt8>?
        for (number, line) in lines.enumerated() {
            let isLast = number == lines.count - 1
            guard line.count >= 3, line.prefix(3).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return "line \(number) does not start with a three-digit code"
            }
            let lineCode = line.prefix(3)
            if let code, Array(code) != Array(lineCode) { return "line \(number) changes the code" }
            code = lineCode
            let rest = line.dropFirst(3)
            if isLast {
                if let separator = rest.first, separator != 0x20 { return "last line: code not followed by SP" }
            } else if rest.first != UInt8(ascii: "-") {
                return "line \(number) is not a continuation (`code-`)"
            }
            for byte in rest.dropFirst() {
                switch text {
                case .ascii:
                    guard byte == 0x09 || (byte >= 0x20 && byte < 0x7F) else {
                        return "line \(number) has byte 0x\(String(byte, radix: 16)) outside textstring"
                    }
                case .anyButLineBreaks:
                    guard byte != 0x0D else { return "line \(number) has a CR" }
                }
            }
        }
        guard let code else { return "empty" }
        let value = Int(code[code.startIndex] - 0x30) * 100 + Int(code[code.startIndex + 1] - 0x30) * 10
            + Int(code[code.startIndex + 2] - 0x30)
        guard (200...599).contains(value) else { return "code \(value) outside 200…599" }
        return nil
    }
}
