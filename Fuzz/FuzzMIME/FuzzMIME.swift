import FuzzSupport
import MailMIME

/// The MIME reader fed arbitrary bytes (the Mailpit-compatible API reads every stored message with it).
///
/// Invariants: it never crashes or hangs; the same input reads the same twice; it never reads past its limits
/// (parts at most `maxParts`); every part it reports has a dotted 1-based part number and content no larger
/// than the input; decoding encoded words and address lists of every field terminates and never grows a
/// value beyond a bounded factor of the input.
enum MIMEFuzzer {
    static let limits = MIMELimits(maxDepth: 8, maxParts: 32)

    static func run(_ data: [UInt8]) {
        let message = MIMEMessage(parsing: data, limits: limits)
        let again = MIMEMessage(parsing: data, limits: limits)
        invariant(
            message.text == again.text && message.html == again.html && message.attachments == again.attachments
                && message.inline == again.inline,
            "two readings of the same input differ")
        let parts = message.inline + message.attachments
        invariant(parts.count <= limits.maxParts, "\(parts.count) parts beyond the limit of \(limits.maxParts)")
        for part in parts {
            invariant(
                !part.partID.isEmpty && part.partID.split(separator: ".").allSatisfy { Int($0).map { $0 >= 1 } ?? false },
                "part number '\(part.partID)' is not dotted 1-based numbers")
            invariant(part.size <= data.count, "a part of \(part.size) bytes from an input of \(data.count)")
        }
        for field in message.fields {
            let decoded = MIMEHeaders.decodeEncodedWords(field.value)
            invariant(decoded.utf8.count <= field.value.utf8.count * 3 + 16, "decoding grew '\(field.value)'")
            _ = MIMEHeaders.addresses(field.value)
            _ = MIMEHeaders.parameterized(field.value)
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    MIMEFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzMIMEReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), MIMEFuzzer.run)
    }
}
#endif
