#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads DATA content: dot-unstuffing (RFC 5321 §4.5.2) and the end-of-data rule of the host's
/// line-ending mode, streaming so neither a long line nor a huge body is buffered beyond the limit.
struct SMTPDataReceiver {
    enum Outcome: Equatable {
        case needMoreInput
        case reachedMark(Int)
        case ended
    }

    let mode: LineEndingMode
    let sizeLimit: Int
    /// Unstuffed content, kept while it fits the size limit.
    private(set) var content: [UInt8] = []
    /// Content octets received, including those discarded over the limit.
    private(set) var receivedBytes = 0
    private(set) var sawBareLineFeed = false
    /// Bare line ends and over-long lines as the wire carried them, whatever the mode made of them.
    private(set) var lineFacts = DataLineFacts()
    /// Octets of the current line taken so far (a line split across reads), its stuffed dot included.
    private var lineSoFar = 0
    var isOversize: Bool { receivedBytes > sizeLimit }

    private var atLineStart = true
    /// Whether the line before the current one ended in CRLF: `CRLF.CRLF` needs it in strict and
    /// normalize mode, so `LF.CRLF` cannot end DATA (the SMTP-smuggling defence).
    private var previousLineEndedWithCRLF = true
    private var marks: [Int]

    init(mode: LineEndingMode, sizeLimit: Int, marks: [Int]) {
        self.mode = mode
        self.sizeLimit = sizeLimit
        self.marks = marks.sorted().reversed()
    }

    mutating func consume(_ input: inout InputBuffer) -> Outcome {
        while true {
            if let mark = marks.last, receivedBytes >= mark {
                marks.removeLast()
                return .reachedMark(mark)
            }
            if input.isEmpty { return .needMoreInput }
            if atLineStart, input[0] == UInt8(ascii: ".") {
                guard input.count >= 2 else { return .needMoreInput }
                if input[1] == 0x0D {
                    guard input.count >= 3 else { return .needMoreInput }
                    if input[2] == 0x0A, mode == .lax || previousLineEndedWithCRLF {
                        input.consume(3)
                        return .ended
                    }
                } else if input[1] == 0x0A, mode == .lax {
                    input.consume(2)
                    return .ended
                }
                input.consume(1)  // the stuffed dot
                lineSoFar += 1
            }
            // Stop early at a mark so a rule can act after exactly that many content bytes.
            var limit = input.count
            if let mark = marks.last { limit = min(limit, mark - receivedBytes) }
            let progress = input.withUnreadBytes { scan($0, limit: limit) }
            if progress == 0 { return .needMoreInput }
            input.consume(progress)
        }
    }

    /// Takes complete lines (and at the end a partial one) from `bytes` up to `limit`, appending them in
    /// runs: a line is copied as part of one `memcpy` with its neighbours unless it needs rewriting (a bare
    /// LF in normalize mode). Stops after the LF of a line followed by a `.` (the caller handles dot
    /// stuffing and the end of data), and after every line while marks are pending, so a `data.bytes`
    /// rule fires where it did when lines were taken one at a time. Returns the bytes consumed.
    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> Int {
        let base = bytes.baseAddress!
        let count = bytes.count
        let oneLine = !marks.isEmpty
        // One past the mark, so a CRLF straddling it stays whole.
        let searchEnd = limit == count ? limit : limit + 1
        var lineStart = 0
        var runStart = 0
        while lineStart < searchEnd {
            guard let found = memchr(base + lineStart, 0x0A, searchEnd - lineStart) else { break }
            let lineFeed = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let crlf = lineFeed > 0 && base[lineFeed - 1] == 0x0D
            lineFacts.count(
                line: UnsafeBufferPointer(start: base + lineStart, count: lineFeed - lineStart - (crlf ? 1 : 0)),
                length: lineSoFar + lineFeed - lineStart + 1, crlf: crlf)
            lineSoFar = 0
            if !crlf {
                switch mode {
                case .normalize:
                    append(UnsafeBufferPointer(start: base + runStart, count: lineFeed - runStart))
                    append(SMTPDataReceiver.crlf)
                    runStart = lineFeed + 1
                case .strict:
                    sawBareLineFeed = true
                case .lax:
                    break
                }
            }
            previousLineEndedWithCRLF = crlf
            atLineStart = true
            lineStart = lineFeed + 1
            if oneLine || lineStart >= count || base[lineStart] == UInt8(ascii: ".") { break }
        }
        if lineStart == 0 || (!oneLine && lineStart < limit && base[lineStart] != UInt8(ascii: ".")) {
            // A partial line: take it, but leave a trailing CR so a CRLF split across reads is seen whole.
            var end = limit
            if end == count, base[end - 1] == 0x0D { end -= 1 }
            if end > lineStart {
                lineFacts.countCarriageReturns(UnsafeBufferPointer(start: base + lineStart, count: end - lineStart))
                lineSoFar += end - lineStart
                lineStart = end
                atLineStart = false
            }
        }
        append(UnsafeBufferPointer(start: base + runStart, count: lineStart - runStart))
        return lineStart
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        let room = sizeLimit - content.count
        if room >= bytes.count {
            content.append(contentsOf: bytes)
        } else if room > 0 {
            content.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.prefix(room)))
        }
        receivedBytes += bytes.count
    }

    private mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }
}

/// What DATA content carried that RFC 5321 forbids (§2.3.8 bare CR and LF, §4.5.3.1.6 lines over 1000 octets),
/// counted as the wire carried it so a judge of the sender sees it even when the host normalized it.
public struct DataLineFacts: Sendable, Equatable {
    public var bareLineFeeds = 0
    public var bareCarriageReturns = 0
    /// Lines longer than 1000 octets, line end included.
    public var longLines = 0
    /// Octets of the longest line ended so far, line end included.
    public var longestLine = 0

    public init() {}

    public var isClean: Bool { bareLineFeeds == 0 && bareCarriageReturns == 0 && longLines == 0 }

    /// One line ending at an LF: `line` without its line end, `length` with it (and with earlier parts).
    mutating func count(line: UnsafeBufferPointer<UInt8>, length: Int, crlf: Bool) {
        if !crlf { bareLineFeeds += 1 }
        if length > 1000 { longLines += 1 }
        longestLine = max(longestLine, length)
        countCarriageReturns(line)
    }

    mutating func countCarriageReturns(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard var position = bytes.baseAddress, !bytes.isEmpty else { return }
        var left = bytes.count
        while left > 0, let found = memchr(position, 0x0D, left) {
            bareCarriageReturns += 1
            let next = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) + 1
            left -= position.distance(to: next)
            position = next
        }
    }
}
