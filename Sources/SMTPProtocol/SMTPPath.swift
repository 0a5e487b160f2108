/// Parsing of `FROM:<path> params` / `TO:<path> params` (RFC 5321 §4.1.2), on bytes.
struct SMTPPathArguments: Equatable {
    var path: [UInt8]
    var parameters: [SMTPParameter]

    enum Failure: Error, Equatable {
        case syntax
        case badAddress
        case badParameter
    }

    /// `prefix` is `FROM:` or `TO:` (matched case-insensitively). Like Postfix, tolerates a space after
    /// the colon and a path without angle brackets; strips a source route (`<@a,@b:user@c>`).
    static func parse(_ arguments: [UInt8], prefix: String) throws(Failure) -> SMTPPathArguments {
        let prefixBytes = Array(prefix.utf8)
        guard arguments.count >= prefixBytes.count,
            zip(arguments, prefixBytes).allSatisfy({ ASCII.lowercased($0) == ASCII.lowercased($1) })
        else { throw .syntax }
        var index = prefixBytes.count
        while index < arguments.count, arguments[index] == 0x20 { index += 1 }
        guard index < arguments.count else { throw .syntax }

        var path: [UInt8]
        if arguments[index] == UInt8(ascii: "<") {
            guard let close = arguments[(index + 1)...].firstIndex(of: UInt8(ascii: ">")) else { throw .syntax }
            path = Array(arguments[(index + 1)..<close])
            index = close + 1
            if index < arguments.count, arguments[index] != 0x20 { throw .syntax }
        } else {
            let end = arguments[index...].firstIndex(of: 0x20) ?? arguments.count
            path = Array(arguments[index..<end])
            index = end
        }
        if path.first == UInt8(ascii: "@"), let colon = path.firstIndex(of: UInt8(ascii: ":")) {
            path = Array(path[(colon + 1)...])
        }
        try validate(path)

        var parameters: [SMTPParameter] = []
        for word in arguments[index...].split(separator: 0x20) {
            let key: ArraySlice<UInt8>
            var value: String?
            if let equals = word.firstIndex(of: UInt8(ascii: "=")) {
                key = word[word.startIndex..<equals]
                let valueBytes = word[(equals + 1)...]
                guard valueBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .badParameter }
                value = String(decoding: valueBytes, as: UTF8.self)
            } else {
                key = word
            }
            let isKeyByte: (UInt8) -> Bool = { byte in
                (byte >= 0x30 && byte <= 0x39) || (ASCII.lowercased(byte) >= 0x61 && ASCII.lowercased(byte) <= 0x7A) || byte == 0x2D
            }
            guard !key.isEmpty, key.allSatisfy(isKeyByte) else { throw .badParameter }
            parameters.append(SMTPParameter(key: String(decoding: key, as: UTF8.self).uppercased(), value: value))
        }
        return SMTPPathArguments(path: path, parameters: parameters)
    }

    /// RFC 5321 §4.5.3.1: local-part ≤ 64, domain ≤ 255, path ≤ 256 octets; no controls or spaces
    /// outside a quoted local-part.
    private static func validate(_ path: [UInt8]) throws(Failure) {
        guard path.count <= 256 else { throw .badAddress }
        guard !path.isEmpty else { return }
        var inQuotes = false
        for byte in path {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if byte < 0x20 || byte == 0x7F || (byte == 0x20 && !inQuotes) { throw .badAddress }
        }
        guard !inQuotes else { throw .badAddress }
        if let at = path.lastIndex(of: UInt8(ascii: "@")) {
            guard at > 0, at <= 64, path.count - at - 1 <= 255, at < path.count - 1 else { throw .badAddress }
        } else if path.count > 64 {
            throw .badAddress
        }
    }
}
