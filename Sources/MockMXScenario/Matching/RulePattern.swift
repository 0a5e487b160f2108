#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX extended regular expression (`regcomp(3)`), compiled once when the scenario loads.
///
/// POSIX ERE rather than Swift `Regex` because it matches raw bytes: command arguments need not be UTF-8.
/// Matching is case-sensitive; a leading `(?i)` (which POSIX itself lacks) makes it case-insensitive.
/// The subject is treated as a C string, so it ends at its first NUL byte. Literals every match must
/// contain (``RegexLiterals``) are looked for first: most subjects are turned away without `regexec`.
///
/// `@unchecked Sendable`: the compiled `regex_t` is never mutated after `regcomp`, and glibc's
/// `regexec` is thread-safe on a shared pattern (it takes the pattern's internal lock).
public final class RulePattern: @unchecked Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written, `(?i)` included.
    public let source: String
    public let isCaseInsensitive: Bool
    private let compiled: UnsafeMutablePointer<regex_t>
    private let literals: RegexLiterals

    /// Why a pattern did not compile, in the regex library's words.
    public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(_ source: String) throws(CompileError) {
        let caseInsensitivePrefix = "(?i)"
        let isCaseInsensitive = source.hasPrefix(caseInsensitivePrefix)
        let expression = isCaseInsensitive ? String(source.dropFirst(caseInsensitivePrefix.count)) : source
        guard !expression.utf8.contains(0) else { throw CompileError(message: "a pattern cannot contain a NUL byte") }
        if let stacked = Self.stackedRepetition(in: Array(expression.utf8)) {
            throw CompileError(message: "repetition operators in a row ('\(stacked)') are undefined in POSIX "
                + "regular expressions; group the inner one, e.g. (a*)+")
        }
        let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let flags = REG_EXTENDED | REG_NOSUB | (isCaseInsensitive ? REG_ICASE : 0)
        let status = regcomp(compiled, expression, flags)
        guard status == 0 else {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(status, compiled, &buffer, buffer.count)
            compiled.deallocate()
            let messageBytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
            throw CompileError(message: String(decoding: messageBytes, as: UTF8.self))
        }
        self.source = source
        self.isCaseInsensitive = isCaseInsensitive
        self.compiled = compiled
        self.literals = RegexLiterals(expression: Array(expression.utf8), ignoringCase: isCaseInsensitive)
    }

    /// The first duplication symbol that follows another (`*+`, `+{2}`), if any. POSIX leaves them undefined,
    /// and glibc's `regcomp` takes time and memory exponential in how many are stacked: `a*` followed by 15
    /// `+` took seconds and gigabytes from a 600-byte scenario (a fuzzer finding).
    static func stackedRepetition(in expression: [UInt8]) -> String? {
        var index = 0
        var previousWasRepetition = false
        while index < expression.count {
            let start = index
            var isRepetition = false
            switch expression[index] {
            case UInt8(ascii: "\\"):
                index += 2
            case UInt8(ascii: "["):
                index = (RegexLiterals.bracketEnd(in: expression, from: index) ?? expression.count - 1) + 1
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                isRepetition = true
                index += 1
            case UInt8(ascii: "{"):
                let close = RegexLiterals.intervalEnd(in: expression, from: index)
                isRepetition = close != nil
                index = (close ?? index) + 1
            default:
                index += 1
            }
            if isRepetition, previousWasRepetition {
                let from = max(0, start - 1)
                return String(decoding: expression[from..<min(index, expression.count)], as: UTF8.self)
            }
            previousWasRepetition = isRepetition
        }
        return nil
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// Whether the pattern matches anywhere in `bytes` (up to the first NUL).
    public func matches(_ bytes: [UInt8]) -> Bool {
        matches(PatternSubject(bytes))
    }

    /// The bytes every match contains (ASCII letters lower-cased), for the engine's screens.
    var requiredBytes: ByteSet { literals.requiredBytes }

    /// The engine's way in: the subject's scan is shared by every rule of the event.
    func matches(_ subject: PatternSubject) -> Bool {
        guard literals.requiredBytes.isSubset(of: subject.present) else { return false }
        return subject.withBytes { bytes in
            guard literals.admits(bytes) else { return false }
            return literals.isWholeExpression || execute(on: bytes)
        }
    }

    /// On a NUL-terminated copy, not with glibc's `REG_STARTEND` on the bytes in place: AddressSanitizer's
    /// `regexec` interceptor measures the subject with `strlen` whatever the flags, and musl lacks the
    /// flag. The copy costs little next to `regexec`, which the literals spare most subjects anyway.
    private func execute(on subject: UnsafeBufferPointer<UInt8>) -> Bool {
        let terminated = Array(subject) + [0]
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { regexec(compiled, $0.baseAddress, 0, nil, 0) == 0 }
        }
    }

    public static func == (lhs: RulePattern, rhs: RulePattern) -> Bool {
        lhs.source == rhs.source
    }

    public var description: String { source }
}
