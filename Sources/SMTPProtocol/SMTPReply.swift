/// One SMTP reply: a three-digit code and one or more text lines.
///
/// Replies the protocol proposes carry their enhanced status code separately so it can be left out
/// when ENHANCEDSTATUSCODES is not advertised (RFC 2034 §3). Replies written in a scenario keep their
/// text verbatim, trailing spaces included (`504 Need to authenticate first ` is what Exchange sends).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    /// `"2.1.0"`-style enhanced status code, prefixed to the first line when enhanced codes are on.
    public var enhancedCode: String?
    /// Text lines; a multi-line reply has several. An empty string renders as the bare code.
    public var lines: [String]

    public init(_ code: Int, _ enhancedCode: String? = nil, _ text: String) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = [text]
    }

    public init(code: Int, enhancedCode: String? = nil, lines: [String]) {
        precondition(!lines.isEmpty, "a reply has at least one line")
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines
    }

    /// Parses a reply written by a person: `"451 4.7.1 Try again later"`, or several lines
    /// (each optionally starting with the code and `-`/space). Returns nil when the first line does
    /// not start with a three-digit code in 200...599.
    public init?(text: [String]) {
        guard let first = text.first, let code = SMTPReply.leadingCode(first), (200...599).contains(code) else {
            return nil
        }
        var lines: [String] = []
        for line in text {
            if let lineCode = SMTPReply.leadingCode(line), lineCode == code {
                var rest = line.dropFirst(3)
                if let separator = rest.first, separator == " " || separator == "-" { rest = rest.dropFirst() }
                lines.append(String(rest))
            } else {
                lines.append(line)
            }
        }
        self.init(code: code, enhancedCode: nil, lines: lines)
    }

    /// The code of a reply line (`"250 ok"` → 250), nil when the line does not start with three digits
    /// followed by end, space or hyphen.
    public static func leadingCode<S: StringProtocol>(_ line: S) -> Int? {
        let utf8 = Array(line.utf8.prefix(4))
        guard utf8.count >= 3, utf8[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if utf8.count == 4, utf8[3] != 0x20, utf8[3] != 0x2D { return nil }
        return Int(utf8[0] - 0x30) * 100 + Int(utf8[1] - 0x30) * 10 + Int(utf8[2] - 0x30)
    }

    /// The wire form: `250-first\r\n250 last\r\n`.
    public func encoded(enhancedStatusCodes: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 16 })
        let codeBytes = Array(String(code).utf8)
        for (index, line) in lines.enumerated() {
            out += codeBytes
            let isLast = index == lines.count - 1
            var text = line
            if index == 0, enhancedStatusCodes, let enhancedCode {
                text = text.isEmpty ? enhancedCode : enhancedCode + " " + text
            }
            if !isLast {
                out.append(UInt8(ascii: "-"))
                out += text.utf8
            } else if !text.isEmpty || code == 334 {
                // RFC 4954 §4: `continue-req = "334" SP [base64] CRLF` — the space stays even when empty.
                out.append(UInt8(ascii: " "))
                out += text.utf8
            }
            out += [0x0D, 0x0A]
        }
        return out
    }

    public var description: String {
        String(decoding: encoded(enhancedStatusCodes: true), as: UTF8.self)
    }
}
