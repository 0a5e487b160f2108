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
            }
            // Stop early at a mark so a rule can act after exactly that many content bytes.
            var limit = input.count
            if let mark = marks.last { limit = min(limit, mark - receivedBytes) }
            // One past the mark, so a CRLF straddling it stays whole.
            if let lineFeed = input.firstLineFeed(within: limit == input.count ? limit : limit + 1) {
                let crlf = lineFeed > 0 && input[lineFeed - 1] == 0x0D
                if crlf || mode != .normalize {
                    append(input.bytes(0..<(lineFeed + 1)))
                } else {
                    append(input.bytes(0..<lineFeed))
                    append([0x0D, 0x0A])
                }
                if !crlf, mode == .strict { sawBareLineFeed = true }
                previousLineEndedWithCRLF = crlf
                atLineStart = true
                input.consume(lineFeed + 1)
            } else {
                // A partial line: take it, but leave a trailing CR so a CRLF split across reads is seen whole.
                var take = limit
                if take == input.count, input[take - 1] == 0x0D { take -= 1 }
                guard take > 0 else { return .needMoreInput }
                append(input.bytes(0..<take))
                input.consume(take)
                atLineStart = false
            }
        }
    }

    private mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let room = sizeLimit - content.count
        if room >= bytes.count {
            content.append(contentsOf: bytes)
        } else if room > 0 {
            content.append(contentsOf: bytes.prefix(room))
        }
        receivedBytes += bytes.count
    }
}
