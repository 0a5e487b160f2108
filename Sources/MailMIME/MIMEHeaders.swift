import Foundation

/// One header field as it was written, unfolded (RFC 5322 §2.2.3), its value trimmed but not decoded.
public struct MIMEHeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A mailbox as a mail reader shows it: the display name (encoded words decoded) and the address.
public struct MIMEAddress: Sendable, Equatable {
    public var name: String
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}

/// Pure header-level decoding: header sections, encoded words, parameters and address lists.
public enum MIMEHeaders {
    /// The header fields at the top of `bytes` and where the body starts. The section ends at the first empty
    /// line, or at the first line that is neither a field nor a continuation, as a lenient reader treats it.
    public static func split(_ bytes: ArraySlice<UInt8>) -> (fields: [MIMEHeaderField], body: ArraySlice<UInt8>) {
        var fields: [(name: ArraySlice<UInt8>, value: [UInt8])] = []
        var start = bytes.startIndex
        var bodyStart = bytes.endIndex
        while start < bytes.endIndex {
            let lineFeed = bytes[start...].firstIndex(of: 0x0A)
            let next = lineFeed.map { $0 + 1 } ?? bytes.endIndex
            var line = bytes[start..<(lineFeed ?? bytes.endIndex)]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty {
                bodyStart = next
                break
            }
            if line.first == 0x20 || line.first == 0x09, !fields.isEmpty {
                fields[fields.count - 1].value += line
            } else if let colon = line.firstIndex(of: 0x3A),
                case let name = line[..<colon], !name.isEmpty, name.allSatisfy({ (0x21...0x7E).contains($0) })
            {
                fields.append((name, Array(line[(colon + 1)...])))
            } else {
                // Not a header line: the body starts here, with nothing lost.
                bodyStart = start
                break
            }
            start = next
        }
        return (
            fields.map { MIMEHeaderField(name: text($0.name), value: text($0.value).trimmingCharacters(in: .whitespaces)) },
            bytes[min(bodyStart, bytes.endIndex)...]
        )
    }

    /// Bytes as text: UTF-8 when they are, else ISO 8859-1 (every byte a character, nothing lost).
    static func text<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Bytes in a named character set, or nil for a set this reader does not know.
    static func decode(_ bytes: [UInt8], charset: String) -> String? {
        switch charset.lowercased() {
        case "", "utf-8", "utf8", "us-ascii", "ascii": return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case "windows-1252", "cp1252": return String(data: Data(bytes), encoding: .windowsCP1252)
        case "utf-16": return String(data: Data(bytes), encoding: .utf16)
        default: return nil
        }
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) decoded; whitespace between two
    /// adjacent encoded words is dropped (§6.2). A word in an unknown character set, or malformed, stays as
    /// written.
    public static func decodeEncodedWords(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var output = ""
        var pendingSpace = ""
        var previousWasEncoded = false
        var rest = Substring(value)
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            if let (decoded, end) = encodedWord(rest[start.lowerBound...]) {
                if previousWasEncoded, before.allSatisfy({ $0 == " " || $0 == "\t" }) {
                    pendingSpace = ""
                } else {
                    output += pendingSpace + before
                    pendingSpace = ""
                }
                output += decoded
                previousWasEncoded = true
                rest = rest[end...]
                // Whitespace after a word is kept only if something other than another word follows.
                let spaces = rest.prefix { $0 == " " || $0 == "\t" }
                pendingSpace = String(spaces)
                rest = rest[spaces.endIndex...]
            } else {
                output += pendingSpace + before + "=?"
                pendingSpace = ""
                previousWasEncoded = false
                rest = rest[start.upperBound...]
            }
        }
        return output + pendingSpace + rest
    }

    /// One encoded word at the start of `text`: its decoded text and where it ends.
    private static func encodedWord(_ text: Substring) -> (String, Substring.Index)? {
        let inner = text.dropFirst(2)
        let parts = inner.split(separator: "?", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let close = parts[2].range(of: "?=") else { return nil }
        let charset = parts[0].split(separator: "*", maxSplits: 1).first.map(String.init) ?? ""
        let payload = parts[2][..<close.lowerBound]
        guard !payload.contains(" "), parts[1].count == 1 else { return nil }
        let bytes: [UInt8]
        switch parts[1].uppercased() {
        case "B": guard let decoded = base64(Array(payload.utf8)) else { return nil }
            bytes = decoded
        case "Q": bytes = quotedPrintable(Array(payload.utf8), underscoreIsSpace: true)
        default: return nil
        }
        guard let decoded = decode(bytes, charset: charset) else { return nil }
        return (decoded, close.upperBound)
    }

    /// Base64 with anything outside its alphabet skipped and missing padding added, as mail readers accept it.
    static func base64(_ bytes: [UInt8]) -> [UInt8]? {
        var clean = bytes.filter { isBase64Character($0) }
        while clean.count % 4 != 0 { clean.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(clean)).map(Array.init)
    }

    private static func isBase64Character(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` and soft line breaks decoded; a malformed `=` kept as written.
    static func quotedPrintable(_ bytes: [UInt8], underscoreIsSpace: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "="), index + 1 < bytes.count {
                if bytes[index + 1] == 0x0A {
                    index += 2
                    continue
                }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A {
                    index += 3
                    continue
                }
                if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            output.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? 0x20 : byte)
            index += 1
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// `type/subtype; name=value; name="quoted value"` as the lower-cased media type and its parameters by
    /// lower-cased name. RFC 2231 continuations (`name*0=`, `name*1=`) are joined and `name*=charset''%XX`
    /// values decoded.
    public static func parameterized(_ value: String) -> (value: String, parameters: [String: String]) {
        let items = splitOutsideQuotes(value, separator: ";")
        let main = (items.first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        var plain: [String: String] = [:]
        var sections: [String: [(number: Int, value: String, encoded: Bool)]] = [:]
        for item in items.dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            var name = item[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var raw = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") {
                raw = unquote(String(raw.dropFirst().dropLast()))
            }
            let encoded = name.hasSuffix("*")
            if encoded { name.removeLast() }
            if let star = name.lastIndex(of: "*"), let number = Int(name[name.index(after: star)...]) {
                sections[String(name[..<star]), default: []].append((number, raw, encoded))
            } else if encoded {
                sections[name, default: []].append((0, raw, true))
            } else if plain[name] == nil {
                plain[name] = raw
            }
        }
        for (name, parts) in sections {
            var charset = ""
            var bytes: [UInt8] = []
            for (position, part) in parts.sorted(by: { $0.number < $1.number }).enumerated() {
                var text = part.value
                if part.encoded, position == 0 {
                    let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                    if pieces.count == 3 {
                        charset = String(pieces[0])
                        text = String(pieces[2])
                    }
                }
                bytes += part.encoded ? percentDecoded(text) : Array(text.utf8)
            }
            plain[name] = decode(bytes, charset: charset) ?? text(bytes)
        }
        return (main, plain)
    }

    private static func percentDecoded(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    private static func unquote(_ text: String) -> String {
        var output = ""
        var escaped = false
        for character in text {
            if escaped || character != "\\" {
                output.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return output
    }

    /// Splits at `separator` outside double quotes, angle brackets and comments.
    private static func splitOutsideQuotes(_ text: String, separator: Character) -> [String] {
        var items: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        var angle = 0
        var comment = 0
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\", inQuotes || comment > 0 {
                escaped = true
            } else if character == "\"", comment == 0 {
                inQuotes.toggle()
            } else if !inQuotes {
                switch character {
                case "(": comment += 1
                case ")": comment = max(0, comment - 1)
                case "<" where comment == 0: angle += 1
                case ">" where comment == 0: angle = max(0, angle - 1)
                case separator where angle == 0 && comment == 0:
                    items.append(current)
                    current = ""
                    continue
                default: break
                }
            }
            current.append(character)
        }
        items.append(current)
        return items
    }

    /// An address list (`To:`, `Cc:`): `Name <a@b>`, `"Last, First" <a@b>`, bare `a@b`, groups
    /// (`team: a@b, c@d;`) flattened, comments dropped. Entries without an address are left out.
    public static func addresses(_ value: String) -> [MIMEAddress] {
        splitOutsideQuotes(value, separator: ",").flatMap { item -> [MIMEAddress] in
            var entry = item
            // A group's name ends at its colon outside quotes and brackets; its closing `;` ends it.
            if let colon = colonOutsideQuotes(entry) { entry = String(entry[entry.index(after: colon)...]) }
            entry = entry.trimmingCharacters(in: .whitespaces)
            if entry.hasSuffix(";") { entry.removeLast() }
            return mailbox(entry).map { [$0] } ?? []
        }
    }

    private static func colonOutsideQuotes(_ text: String) -> String.Index? {
        var inQuotes = false
        for index in text.indices {
            switch text[index] {
            case "\"": inQuotes.toggle()
            case "<": return nil
            case ":" where !inQuotes: return index
            default: break
            }
        }
        return nil
    }

    private static func mailbox(_ entry: String) -> MIMEAddress? {
        let withoutComments = stripComments(entry)
        if let open = withoutComments.lastIndex(of: "<"),
            let close = withoutComments[open...].firstIndex(of: ">")
        {
            let address = withoutComments[withoutComments.index(after: open)..<close]
                .trimmingCharacters(in: .whitespaces)
            var name = withoutComments[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = unquote(String(name.dropFirst().dropLast()))
            }
            guard !address.isEmpty || !name.isEmpty else { return nil }
            return MIMEAddress(name: decodeEncodedWords(name), address: address)
        }
        let address = withoutComments.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty else { return nil }
        // `a@b (Name)`: the old form puts the name in a comment.
        let comment = entry.firstIndex(of: "(").flatMap { open in
            entry[open...].lastIndex(of: ")").map { String(entry[entry.index(after: open)..<$0]) }
        } ?? ""
        return MIMEAddress(name: decodeEncodedWords(comment), address: address)
    }

    private static func stripComments(_ text: String) -> String {
        var output = ""
        var depth = 0
        var inQuotes = false
        for character in text {
            if character == "\"", depth == 0 { inQuotes.toggle() }
            if !inQuotes, character == "(" {
                depth += 1
                continue
            }
            if !inQuotes, character == ")", depth > 0 {
                depth -= 1
                continue
            }
            if depth == 0 { output.append(character) }
        }
        return output
    }
}
