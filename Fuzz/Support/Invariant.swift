#if canImport(Glibc)
import Glibc
#endif

/// Crashes the fuzz target (so libFuzzer saves the input) when an invariant does not hold.
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    guard !condition() else { return }
    let text = Array("invariant violated at \(file):\(line): \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Renders bytes for a failure message: printable ASCII as is, the rest as `\xNN`.
public func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var text = ""
    for byte in bytes.prefix(400) {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x20..<0x7F: text += String(UnicodeScalar(byte))
        default: text += "\\x" + String(byte, radix: 16)
        }
    }
    return bytes.count > 400 ? text + "…(\(bytes.count) bytes)" : text
}
