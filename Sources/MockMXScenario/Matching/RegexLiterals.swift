#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SMTPProtocol

/// The literal byte strings every match of a POSIX extended regular expression must contain, so that
/// ``RulePattern`` can turn most subjects away without running `regexec`.
///
/// Found by a conservative look at the top level of the expression only: whatever is not plainly a
/// required ASCII character (a group, a bracket expression, `.`, a GNU escape such as `\w`, `\<` or a
/// back-reference, a character made optional by `*`, `?` or `{m,n}`) just splits the literals, and
/// anything less clear — a top-level `|`, `^` or `$` in the middle, a malformed interval — gives no
/// literals at all, leaving `regexec` to decide alone.
struct RegexLiterals {
    /// In pattern order, none empty, ASCII only; lower-cased when ignoring case.
    private(set) var required: [[UInt8]] = []
    /// `^` comes right before the first of `required`: the subject must start with it.
    private(set) var firstIsAnchoredAtStart = false
    /// `$` comes right after the last of `required`: the subject must end with it.
    private(set) var lastIsAnchoredAtEnd = false
    /// The expression is nothing but the one literal in `required` and its anchors, so ``admits(_:)``
    /// is the whole answer.
    private(set) var isWholeExpression = false
    /// `REG_ICASE`, which in the C locale (the process never calls `setlocale`) folds ASCII letters only.
    let ignoresCase: Bool
    /// Every byte of `required`, ASCII letters lower-cased: a subject without one of them cannot match.
    private(set) var requiredBytes = ByteSet()
    /// `required` as ``admits(_:)`` checks it.
    private var checks: [Check] = []

    private struct Check {
        enum Place { case start, end, whole, anywhere }
        var literal: [UInt8]
        var place: Place
        /// `memchr` can look for the literal's first byte: it has no other case to match.
        var firstByteIsCaseless: Bool

        /// Comparisons at a fixed place cost a few bytes; of the searches, the longest literal is the
        /// likeliest to be missing.
        var order: Int { place == .anywhere ? literal.count : Int.max }
    }

    /// `expression` is what goes to `regcomp` with `REG_EXTENDED`, without the `(?i)` prefix.
    init(expression: [UInt8], ignoringCase: Bool) {
        ignoresCase = ignoringCase
        guard let (pieces, anchoredAtStart, anchoredAtEnd) = Self.topLevelPieces(of: expression) else { return }
        var run: [UInt8] = []
        for piece in pieces {
            guard case .byte(let byte) = piece.atom, piece.repetition != .maybeNever else {
                appendRun(&run)
                continue
            }
            run.append(ignoringCase ? ASCII.lowercased(byte) : byte)
            // `a+` still needs one `a`, but what follows need not come right after it.
            if piece.repetition == .atLeastOnce { appendRun(&run) }
        }
        appendRun(&run)
        guard let first = pieces.first, let last = pieces.last else { return }
        firstIsAnchoredAtStart = anchoredAtStart && first.isRequiredByte
        lastIsAnchoredAtEnd = anchoredAtEnd && last.isRequiredByte && last.repetition == .once
        isWholeExpression = pieces.allSatisfy { $0.isRequiredByte && $0.repetition == .once }
        checks = required.enumerated().map { offset, literal in
            let place: Check.Place =
                if isWholeExpression && firstIsAnchoredAtStart && lastIsAnchoredAtEnd { .whole }
                else if offset == 0 && firstIsAnchoredAtStart { .start }
                else if offset == required.count - 1 && lastIsAnchoredAtEnd { .end }
                else { .anywhere }
            let isLetter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(literal[0])
            return Check(literal: literal, place: place, firstByteIsCaseless: !ignoringCase || !isLetter)
        }
        checks.sort { $0.order > $1.order }
        for byte in required.joined() { requiredBytes.insert(ASCII.lowercased(byte)) }
    }

    private mutating func appendRun(_ run: inout [UInt8]) {
        if !run.isEmpty { required.append(run) }
        run = []
    }

    /// Whether `subject` holds every required literal where it must; exactly whether the expression
    /// matches when ``isWholeExpression``.
    func admits(_ subject: UnsafeBufferPointer<UInt8>) -> Bool {
        for check in checks {
            guard subject.count >= check.literal.count else { return false }
            let found = check.literal.withUnsafeBufferPointer { literal in
                switch check.place {
                case .start: equals(subject, at: 0, literal)
                case .end: equals(subject, at: subject.count - literal.count, literal)
                case .whole: subject.count == literal.count && equals(subject, at: 0, literal)
                case .anywhere: contains(subject, literal, firstByteIsCaseless: check.firstByteIsCaseless)
                }
            }
            if !found { return false }
        }
        return true
    }

    private func equals(
        _ subject: UnsafeBufferPointer<UInt8>, at start: Int, _ literal: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        for index in literal.indices {
            let byte = subject[start + index]
            if (ignoresCase ? ASCII.lowercased(byte) : byte) != literal[index] { return false }
        }
        return true
    }

    /// `literal` is not longer than `subject`.
    private func contains(
        _ subject: UnsafeBufferPointer<UInt8>, _ literal: UnsafeBufferPointer<UInt8>, firstByteIsCaseless: Bool
    ) -> Bool {
        guard let base = subject.baseAddress else { return false }
        let first = literal[0]
        let lastStart = subject.count - literal.count
        var start = 0
        while start <= lastStart {
            if firstByteIsCaseless {
                guard let found = memchr(base + start, Int32(first), lastStart - start + 1) else { return false }
                start = UnsafeRawPointer(base).distance(to: found)
            } else if ASCII.lowercased(base[start]) != first {
                start += 1
                continue
            }
            if equals(subject, at: start, literal) { return true }
            start += 1
        }
        return false
    }
}

// MARK: - Reading the top level of the expression

extension RegexLiterals {
    private enum Atom {
        /// An ASCII character that matches itself (case aside).
        case byte(UInt8)
        /// Anything else that matches something: a group, a bracket expression, `.`, `\w`, a non-ASCII byte…
        case other
    }

    private enum Repetition {
        case once
        /// Only `+` after it.
        case atLeastOnce
        /// Some `*`, `?` or `{m,n}` after it.
        case maybeNever
    }

    private struct Piece {
        var atom: Atom
        var repetition: Repetition
        var isRequiredByte: Bool {
            if case .byte = atom { repetition != .maybeNever } else { false }
        }
    }

    /// The top-level atoms with their repetitions and whether `^` starts and `$` ends the expression;
    /// nil when the expression is anything but a plain sequence of those (alternation, inner anchors,
    /// malformed syntax that `regcomp` rejects anyway).
    private static func topLevelPieces(
        of bytes: [UInt8]
    ) -> (pieces: [Piece], anchoredAtStart: Bool, anchoredAtEnd: Bool)? {
        var pieces: [Piece] = []
        let anchoredAtStart = bytes.first == UInt8(ascii: "^")
        var anchoredAtEnd = false
        var index = anchoredAtStart ? 1 : 0
        while index < bytes.count {
            let atom: Atom
            switch bytes[index] {
            case UInt8(ascii: "$") where index == bytes.count - 1:
                anchoredAtEnd = true
                index += 1
                continue
            // An anchor inside, alternation, or a repetition of nothing.
            case UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "|"),
                 UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
                return nil
            case UInt8(ascii: "("):
                guard let close = groupEnd(in: bytes, from: index) else { return nil }
                atom = .other
                index = close + 1
            case UInt8(ascii: "["):
                guard let close = bracketEnd(in: bytes, from: index) else { return nil }
                atom = .other
                index = close + 1
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                atom = isLiteralEscape(escaped) ? .byte(escaped) : .other
                index += 2
            // An unmatched `)`, a lone `]` or `}` are ordinary characters to glibc; not worth relying on.
            case UInt8(ascii: "."), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                atom = .other
                index += 1
            case let byte:
                atom = byte < 0x80 ? .byte(byte) : .other
                index += 1
            }
            var repetition = Repetition.once
            repetitions: while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "+"):
                    if repetition == .once { repetition = .atLeastOnce }
                    index += 1
                case UInt8(ascii: "*"), UInt8(ascii: "?"):
                    repetition = .maybeNever
                    index += 1
                case UInt8(ascii: "{"):
                    guard let close = intervalEnd(in: bytes, from: index) else { return nil }
                    repetition = .maybeNever
                    index = close + 1
                default:
                    break repetitions
                }
            }
            pieces.append(Piece(atom: atom, repetition: repetition))
        }
        return (pieces, anchoredAtStart, anchoredAtEnd)
    }

    /// `\` and ASCII punctuation is that character in an ERE, except for glibc's anchors `\<`, `\>`,
    /// `` \` `` and `\'`. Letters and digits are classes, word boundaries or back-references.
    private static func isLiteralEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "`"), UInt8(ascii: "'"): false
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: true
        default: false
        }
    }

    /// The index of the `)` closing the group opened at `open`, skipping nested groups, bracket
    /// expressions and escaped characters.
    private static func groupEnd(in bytes: [UInt8], from open: Int) -> Int? {
        var depth = 0
        var index = open
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"):
                index += 2
                continue
            case UInt8(ascii: "["):
                guard let close = bracketEnd(in: bytes, from: index) else { return nil }
                index = close
            case UInt8(ascii: "("):
                depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return index }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The index of the `]` closing the bracket expression opened at `open`, the way glibc reads it: a
    /// `]` first (after an optional `^`) is a member, `[:…:]`, `[=…=]` and `[.….]` run to their own
    /// closing pair, and a backslash is an ordinary member.
    static func bracketEnd(in bytes: [UInt8], from open: Int) -> Int? {
        var index = open + 1
        if index < bytes.count && bytes[index] == UInt8(ascii: "^") { index += 1 }
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") { index += 1 }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]") { return index }
            if byte == UInt8(ascii: "["), index + 1 < bytes.count,
               [UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: ".")].contains(bytes[index + 1]) {
                let delimiter = bytes[index + 1]
                var end = index + 2
                while end + 1 < bytes.count && !(bytes[end] == delimiter && bytes[end + 1] == UInt8(ascii: "]")) {
                    end += 1
                }
                guard end + 1 < bytes.count else { return nil }
                index = end + 2
            } else {
                index += 1
            }
        }
        return nil
    }

    /// The index of the `}` closing the interval `{m}`, `{m,}`, `{,n}` or `{m,n}` opened at `open`;
    /// nil for anything else.
    static func intervalEnd(in bytes: [UInt8], from open: Int) -> Int? {
        var index = open + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "}"): return index > open + 1 ? index : nil
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ","): index += 1
            default: return nil
            }
        }
        return nil
    }
}
