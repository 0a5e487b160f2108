/// Reads the replies another SMTP host sends (the upstream of a proxy, or a host being recorded): CRLF
/// lines `NNN-text` … `NNN text` into ``SMTPReply`` values whose lines keep the text verbatim, so
/// encoding one without enhanced codes gives the bytes the host sent.
///
/// Bounded: a line longer than ``maximumLineLength`` or a reply of more than ``maximumLines`` lines is an
/// error as soon as it is seen, so a host that sends an endless line costs no more than the bound.
public struct SMTPReplyReader: Sendable {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A line longer than the bound (RFC 5321 §4.5.3.1.5 allows 512 octets).
        case lineTooLong(Int)
        case tooManyLines(Int)
        /// A line that does not start with a three-digit code, or a continuation with another code.
        case malformed(String)

        public var description: String {
            switch self {
            case .lineTooLong(let limit): "a reply line longer than \(limit) bytes"
            case .tooManyLines(let limit): "a reply of more than \(limit) lines"
            case .malformed(let line): "not an SMTP reply line: \(line)"
            }
        }
    }

    /// Far beyond RFC 5321's 512 octets, which real hosts exceed in EHLO lists and long texts.
    public static let maximumLineLength = 16_384
    public static let maximumLines = 1_000

    private var buffer: [UInt8] = []
    /// Where the search for the next line feed resumes.
    private var scanned = 0
    private var lines: [String] = []
    private var code: Int?

    public init() {}

    /// Bytes held that are not a complete reply yet.
    public var bufferedByteCount: Int { buffer.count }

    public mutating func receive<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, nil when more bytes are needed; throws when the bytes are not replies.
    public mutating func next() throws(Failure) -> SMTPReply? {
        while let end = buffer[scanned...].firstIndex(of: 0x0A) {
            var line = buffer[..<end]
            if line.last == 0x0D { line = line.dropLast() }
            buffer.removeSubrange(...end)
            scanned = 0
            guard line.count <= Self.maximumLineLength else { throw .lineTooLong(Self.maximumLineLength) }
            let text = String(decoding: line, as: UTF8.self)
            guard let lineCode = SMTPReply.leadingCode(line), (100...599).contains(lineCode),
                  code == nil || code == lineCode
            else { throw .malformed(String(text.prefix(80))) }
            code = lineCode
            let separator = line.count > 3 ? line[line.startIndex + 3] : 0x20
            lines.append(String(text.dropFirst(min(4, text.utf8.count))))
            if separator != UInt8(ascii: "-") {
                defer {
                    lines = []
                    code = nil
                }
                return SMTPReply(code: lineCode, lines: lines)
            }
            guard lines.count < Self.maximumLines else { throw .tooManyLines(Self.maximumLines) }
        }
        scanned = buffer.count
        guard buffer.count <= Self.maximumLineLength + 1 else { throw .lineTooLong(Self.maximumLineLength) }
        return nil
    }
}
