#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SMTPProtocol

/// What a ``RulePattern`` is matched against: the bytes up to the first NUL, and which bytes occur in
/// them with ASCII letters folded to lower case.
///
/// Made once per event and shared by every rule that looks at the same arguments (or HELO name): a
/// pattern whose required literals need a byte the subject lacks is turned away by one set comparison,
/// which is how most rules that do not fire are decided.
struct PatternSubject {
    private let bytes: [UInt8]
    private let length: Int
    let present: ByteSet

    init(_ bytes: [UInt8]) {
        let length = PatternSubject.length(of: bytes)
        self.bytes = bytes
        self.length = length
        self.present = PatternSubject.bytesPresent(in: bytes, length: length)
    }

    /// Up to the first NUL.
    private static func length(of bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, let nul = memchr(base, 0, buffer.count) else { return buffer.count }
            return UnsafeRawPointer(base).distance(to: nul)
        }
    }

    /// The bytes in `bytes` up to the first NUL, ASCII letters lower-cased.
    static func bytesPresent(in bytes: [UInt8], length: Int? = nil) -> ByteSet {
        let length = length ?? PatternSubject.length(of: bytes)
        return bytes.withUnsafeBufferPointer { ByteSet(lowerCasing: UnsafeBufferPointer(rebasing: $0[..<length])) }
    }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(start: $0.baseAddress, count: length)) }
    }
}

/// A set of byte values, as four words (plain fields: `SIMD4` cost more here, measured).
struct ByteSet: Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    /// The bytes of `bytes`, ASCII letters lower-cased. The words are reached by index in memory, not by a
    /// switch per byte.
    init(lowerCasing bytes: UnsafeBufferPointer<UInt8>) {
        withUnsafeMutableBytes(of: &words) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for byte in bytes {
                let folded = ASCII.lowercased(byte)
                words[Int(folded >> 6)] |= 1 << UInt64(folded & 63)
            }
        }
    }

    /// The four words, bit `b & 63` of word `b >> 6` for byte `b`: for a loop that tests many bytes.
    func withWords<Result>(_ body: (UnsafeBufferPointer<UInt64>) -> Result) -> Result {
        withUnsafeBytes(of: words) { body($0.bindMemory(to: UInt64.self)) }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        let word = switch byte >> 6 {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
        return word & bit != 0
    }

    func isSubset(of other: ByteSet) -> Bool {
        (words.0 & ~other.words.0) | (words.1 & ~other.words.1) | (words.2 & ~other.words.2)
            | (words.3 & ~other.words.3) == 0
    }

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.words == rhs.words
    }
}

/// The subjects of one event's patterns, each made when a rule first needs it.
struct EventSubjects {
    private let context: RuleEventContext
    private var argumentsSubject: PatternSubject?
    private var heloSubject: PatternSubject??

    init(_ context: RuleEventContext) {
        self.context = context
    }

    /// Whether `pattern` matches the command's arguments. The subject is used in place, not copied out:
    /// a copy per rule would retain its bytes each time.
    mutating func argumentsMatch(_ pattern: RulePattern) -> Bool {
        if argumentsSubject == nil { argumentsSubject = PatternSubject(context.arguments) }
        return pattern.matches(argumentsSubject.unsafelyUnwrapped)
    }

    /// Whether `pattern` matches the HELO/EHLO name; never before one was given.
    mutating func heloMatches(_ pattern: RulePattern) -> Bool {
        if heloSubject == nil { heloSubject = .some(context.helo.map(PatternSubject.init)) }
        guard case .some(.some) = heloSubject else { return false }
        return pattern.matches(heloSubject.unsafelyUnwrapped.unsafelyUnwrapped)
    }

    /// Whether `pattern` matches the sender: on `mail` the address given, later the transaction's; never
    /// outside a transaction.
    mutating func senderMatches(_ pattern: RulePattern) -> Bool {
        guard let sender = context.envelopeSender else { return false }
        return pattern.matches(PatternSubject(sender))
    }

    /// Whether `pattern` matches a recipient: on `rcpt` the address given, later any accepted so far.
    mutating func recipientMatches(_ pattern: RulePattern) -> Bool {
        context.envelopeRecipients.contains { pattern.matches(PatternSubject($0)) }
    }
}
