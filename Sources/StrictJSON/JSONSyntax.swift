/// RFC 8259's grammar, checked before a body sent as `application/json` reaches the scenario loader. The loader
/// reads YAML, which takes far more than JSON (trailing commas, single quotes, comments, bare words), and
/// Foundation's JSON parser on Linux takes trailing commas too: without this, a body no JSON parser elsewhere
/// accepts would be applied, and the sender's mistake would surface only where its JSON is read strictly.
public struct JSONSyntax {
    /// Where the text stops being JSON: 1-based line and column (in Unicode scalars, as the scenario
    /// diagnostics count), and what is wrong there.
    public struct Problem: Error, Equatable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    /// Deeper nesting is refused rather than recursed into: a 1 MiB body of `[` would overflow the loop
    /// thread's stack. A scenario is a handful of levels deep; 64 keeps the recursion well inside the
    /// smallest stack it runs on (a 512 KiB worker thread, under AddressSanitizer's larger frames; 512
    /// levels overflowed there).
    public static let maxDepth = 64

    /// Nil when `bytes` is exactly one JSON value with optional whitespace around it. The bytes are taken as
    /// UTF-8 unchecked (bytes above 0x7F pass inside strings): the control API refuses a body that is not UTF-8
    /// before it asks.
    public static func problem(in bytes: [UInt8]) -> Problem? {
        var scanner = Scanner(bytes: bytes)
        do throws(Failure) {
            scanner.skipWhitespace()
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            if scanner.position < bytes.count {
                throw Failure(at: scanner.position, "\(scanner.found()) after the JSON value")
            }
            return nil
        } catch {
            return location(of: error, in: bytes)
        }
    }

    fileprivate struct Failure: Error {
        var offset: Int
        var message: String

        init(at offset: Int, _ message: String) {
            self.offset = offset
            self.message = message
        }
    }

    private static func location(of failure: Failure, in bytes: [UInt8]) -> Problem {
        var line = 1
        var column = 1
        for byte in bytes[..<min(failure.offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // Continuation bytes belong to the scalar their lead byte started.
                column += 1
            }
        }
        return Problem(line: line, column: column, message: failure.message)
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    /// `'x'`, `U+0009` for a control character, or `the end of the body`.
    func found() -> String {
        guard position < bytes.count else { return "the end of the body" }
        let scalar = String(decoding: bytes[position...].prefix(4), as: UTF8.self).unicodeScalars.first!
        if scalar.value < 0x20 || scalar.value == 0x7F {
            return "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
        return "'\(Character(scalar))'"
    }

    mutating func value(depth: Int) throws(JSONSyntax.Failure) {
        switch current ?? 0 {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < JSONSyntax.maxDepth else {
                throw JSONSyntax.Failure(at: position, "nested deeper than \(JSONSyntax.maxDepth) levels")
            }
            if current == UInt8(ascii: "{") { try object(depth: depth + 1) } else { try array(depth: depth + 1) }
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: throw JSONSyntax.Failure(at: position, "expected a value, found \(found())")
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntax.Failure) {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            guard current == UInt8(ascii: "\"") else {
                throw JSONSyntax.Failure(at: position, "expected a key in double quotes, found \(found())")
            }
            try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw JSONSyntax.Failure(at: position, "expected ':' after the key, found \(found())")
            }
            position += 1
            skipWhitespace()
            try value(depth: depth)
            skipWhitespace()
            if try endOrNext(closing: "}", in: "an object") { return }
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntax.Failure) {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try value(depth: depth)
            skipWhitespace()
            if try endOrNext(closing: "]", in: "an array") { return }
        }
    }

    /// After a member: true at the closing bracket, false after a comma with the next member ahead.
    private mutating func endOrNext(closing: Unicode.Scalar, in container: String) throws(JSONSyntax.Failure) -> Bool {
        if current == UInt8(ascii: closing) {
            position += 1
            return true
        }
        guard current == UInt8(ascii: ",") else {
            throw JSONSyntax.Failure(at: position, "expected ',' or '\(closing)' in \(container), found \(found())")
        }
        let comma = position
        position += 1
        skipWhitespace()
        // The mistake YAML forgives and JSON does not: reported at the comma, which is what to delete.
        if current == UInt8(ascii: closing) {
            throw JSONSyntax.Failure(at: comma, "a trailing comma before '\(closing)'")
        }
        return false
    }

    private mutating func string() throws(JSONSyntax.Failure) {
        let start = position
        position += 1
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                try escape()
            case ..<0x20:
                throw JSONSyntax.Failure(at: position, "control character \(found()) in a string; escape it")
            default:
                position += 1
            }
        }
        throw JSONSyntax.Failure(at: start, "the body ends inside this string")
    }

    private mutating func escape() throws(JSONSyntax.Failure) {
        let backslash = position
        position += 1
        guard let letter = current else { throw JSONSyntax.Failure(at: backslash, "the body ends inside an escape") }
        if Array(#""\/bfnrt"#.utf8).contains(letter) {
            position += 1
        } else if letter == UInt8(ascii: "u") {
            let unit = try codeUnit(at: backslash)
            // RFC 8259 §8.2 leaves an unpaired surrogate to each parser; Foundation's refuses the string, and so
            // do most, so a body with one would be applied here and refused wherever else it is read.
            switch unit {
            case 0xD800...0xDBFF:
                guard bytes[position...].starts(with: Array(#"\u"#.utf8)),
                    case 0xDC00...0xDFFF = try codeUnit(at: position)
                else { throw JSONSyntax.Failure(at: backslash, "a high surrogate escape without its low surrogate") }
            case 0xDC00...0xDFFF:
                throw JSONSyntax.Failure(at: backslash, "a low surrogate escape without a high surrogate before it")
            default:
                break
            }
        } else if letter >= 0x20, letter < 0x7F {
            throw JSONSyntax.Failure(at: backslash, "invalid escape '\\\(Character(Unicode.Scalar(letter)))'")
        } else {
            throw JSONSyntax.Failure(at: backslash, "invalid escape: a backslash before \(found())")
        }
    }

    /// The UTF-16 code unit of the `\uXXXX` escape whose backslash is at `backslash`; moves past it.
    private mutating func codeUnit(at backslash: Int) throws(JSONSyntax.Failure) -> UInt16 {
        var unit: UInt16 = 0
        for digit in bytes[(backslash + 2)...].prefix(4) {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): unit = unit << 4 | UInt16(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): unit = unit << 4 | UInt16(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): unit = unit << 4 | UInt16(digit - UInt8(ascii: "A") + 10)
            default: throw JSONSyntax.Failure(at: backslash, #"'\u' needs four hexadecimal digits"#)
            }
        }
        guard backslash + 6 <= bytes.count else {
            throw JSONSyntax.Failure(at: backslash, #"'\u' needs four hexadecimal digits"#)
        }
        position = backslash + 6
        return unit
    }

    private mutating func number() throws(JSONSyntax.Failure) {
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if let byte = current, UInt8(ascii: "0")...UInt8(ascii: "9") ~= byte {
                throw JSONSyntax.Failure(at: position, "a number must not start with 0 followed by digits")
            }
        } else {
            try digits()
        }
        if current == UInt8(ascii: ".") {
            position += 1
            try digits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            try digits()
        }
    }

    private mutating func digits() throws(JSONSyntax.Failure) {
        guard let byte = current, UInt8(ascii: "0")...UInt8(ascii: "9") ~= byte else {
            throw JSONSyntax.Failure(at: position, "expected a digit, found \(found())")
        }
        while let byte = current, UInt8(ascii: "0")...UInt8(ascii: "9") ~= byte { position += 1 }
    }

    private mutating func literal(_ word: String) throws(JSONSyntax.Failure) {
        let start = position
        for expected in word.utf8 {
            guard current == expected else {
                position = start
                throw JSONSyntax.Failure(at: start, "expected a value, found \(found())")
            }
            position += 1
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
