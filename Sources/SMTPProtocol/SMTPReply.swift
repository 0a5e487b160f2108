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

    /// The code a reply line starts with (`250 ok`, `250-…`, `250`, `250` CRLF → 250); nil unless three
    /// digits followed by the end, a space, a hyphen or the line end. The one reply-code parser: scenario
    /// replies, raw bytes a rule sends, the metrics and the logs all read codes through it.
    /// Inlinable so callers in other modules get it specialized: the metrics read every reply's code.
    @inlinable
    public static func leadingCode<C: Collection>(_ line: C) -> Int? where C.Element == UInt8 {
        var code = 0
        var index = line.startIndex
        for _ in 0..<3 {
            guard index != line.endIndex else { return nil }
            let digit = line[index] &- 0x30
            guard digit <= 9 else { return nil }
            code = code * 10 + Int(digit)
            index = line.index(after: index)
        }
        guard index != line.endIndex else { return code }
        switch line[index] {
        case 0x20, 0x2D, 0x0D, 0x0A: return code
        default: return nil
        }
    }

    public static func leadingCode<S: StringProtocol>(_ line: S) -> Int? {
        leadingCode(line.utf8)
    }

    /// The wire form: `250-first\r\n250 last\r\n`.
    ///
    /// On every reply's path, so it writes bytes straight into one buffer sized up front: no `String`
    /// for the code, no concatenated `String` for the enhanced code and text.
    public func encoded(enhancedStatusCodes: Bool) -> [UInt8] {
        guard !lines.isEmpty else { return [] }
        let enhanced = enhancedStatusCodes ? enhancedCode : nil
        var capacity = enhanced.map { $0.utf8.count + 1 } ?? 0
        for line in lines { capacity += line.utf8.count + 6 }
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        let last = lines.count - 1
        for index in 0...last {
            if (100...999).contains(code) {
                out.append(0x30 + UInt8(code / 100))
                out.append(0x30 + UInt8(code / 10 % 10))
                out.append(0x30 + UInt8(code % 10))
            } else {
                out.append(contentsOf: String(code).utf8)
            }
            let line = lines[index]
            let prefix = index == 0 ? enhanced : nil
            if index != last {
                out.append(UInt8(ascii: "-"))
            } else if line.isEmpty && (prefix?.isEmpty ?? true) && code != 334 {
                // RFC 4954 §4: `continue-req = "334" SP [base64] CRLF` — the space stays even when empty.
                out.append(0x0D)
                out.append(0x0A)
                continue
            } else {
                out.append(UInt8(ascii: " "))
            }
            if let prefix {
                out.append(contentsOf: prefix.utf8)
                if !line.isEmpty { out.append(UInt8(ascii: " ")) }
            }
            out.append(contentsOf: line.utf8)
            out.append(0x0D)
            out.append(0x0A)
        }
        return out
    }

    public var description: String {
        String(decoding: encoded(enhancedStatusCodes: true), as: UTF8.self)
    }
}
