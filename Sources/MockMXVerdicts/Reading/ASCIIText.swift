/// Byte-wise text tests: the transcript's markers and SMTP's verbs are ASCII, and `String`'s Unicode-aware
/// `hasPrefix`, `uppercased()` and `lowercased()` cost more than the rest of judging a session.
extension StringProtocol {
    func startsASCII(_ prefix: StaticString) -> Bool {
        utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
    }

    func endsASCII(_ suffix: StaticString) -> Bool {
        let tail = UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
        return utf8.count >= tail.count && utf8.suffix(tail.count).elementsEqual(tail)
    }

    var asciiUppercased: String {
        String(decoding: utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    var asciiLowercased: String {
        String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
