/// Parsers for the small value languages inside scalars: durations, byte escapes, integers.
/// Each returns a message for the diagnostic on failure.
enum ScalarSyntax {
    /// `250ms`, `2s`, `1.5s`, `5m` → milliseconds. A unit is required: a bare `2000` is ambiguous.
    static func milliseconds(_ text: String) -> Result<Int, ScalarSyntaxError> {
        let trimmed = text.trimmingASCIIWhitespace
        if trimmed.hasPrefix("-") {
            return .failure(ScalarSyntaxError("a duration can't be negative, found '\(text)'"))
        }
        let number = String(trimmed.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") }))
        let unit = String(trimmed.dropFirst(number.count))
        guard !number.isEmpty, let value = Double(number), value.isFinite else {
            return .failure(ScalarSyntaxError("expected a duration such as 500ms, 2s or 5m, found '\(text)'"))
        }
        let scale: Double
        switch unit {
        case "ms": scale = 1
        case "s": scale = 1000
        case "m": scale = 60_000
        case "":
            return .failure(ScalarSyntaxError("a duration needs a unit: ms, s or m (e.g. '\(number)ms')"))
        default:
            return .failure(ScalarSyntaxError("unknown unit '\(unit)' in '\(text)'; use ms, s or m"))
        }
        let milliseconds = value * scale
        guard milliseconds <= Double(Int32.max) * 1000 else {
            return .failure(ScalarSyntaxError("duration '\(text)' is too long"))
        }
        guard milliseconds == milliseconds.rounded() else {
            return .failure(ScalarSyntaxError("'\(text)' is not a whole number of milliseconds"))
        }
        return .success(Int(milliseconds))
    }

    /// A decimal integer, `_` separators allowed (`10_485_760`). Unlike YAML 1.1, a leading zero does
    /// not mean octal: `010` is ten.
    static func integer(_ text: String) -> Int? {
        var digits = Substring(text.trimmingASCIIWhitespace.replacingUnderscores)
        var sign = 1
        if digits.hasPrefix("+") {
            digits = digits.dropFirst()
        } else if digits.hasPrefix("-") {
            sign = -1
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(digits) else {
            return nil
        }
        return sign * value
    }

    /// Decodes the escapes of `raw:` — `\r \n \t \0 \\ \xNN` — left in the text after YAML's own decoding
    /// (plain and single-quoted YAML strings keep backslashes literally).
    ///
    /// `latin1` maps characters U+0080…U+00FF to single bytes: YAML decodes `"\xff"` in a double-quoted
    /// string to U+00FF, and the author meant the byte 0xFF, not its UTF-8 encoding.
    static func rawBytes(_ text: String, latin1: Bool) -> Result<[UInt8], ScalarSyntaxError> {
        var bytes: [UInt8] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            guard scalar == "\\" else {
                if latin1, scalar.value >= 0x80, scalar.value <= 0xFF {
                    bytes.append(UInt8(scalar.value))
                } else {
                    bytes += Array(String(scalar).utf8)
                }
                continue
            }
            guard index < scalars.count else {
                return .failure(ScalarSyntaxError("a lone backslash ends the text; write \\\\ for a backslash"))
            }
            let escape = scalars[index]
            index += 1
            switch escape {
            case "r": bytes.append(0x0D)
            case "n": bytes.append(0x0A)
            case "t": bytes.append(0x09)
            case "0": bytes.append(0x00)
            case "\\": bytes.append(0x5C)
            case "x":
                guard index + 1 < scalars.count,
                      let high = hexValue(scalars[index]), let low = hexValue(scalars[index + 1]) else {
                    return .failure(ScalarSyntaxError("\\x needs two hex digits, as in \\x0d"))
                }
                bytes.append(high << 4 | low)
                index += 2
            default:
                return .failure(ScalarSyntaxError(
                    "unknown escape '\\\(escape)'; use \\r, \\n, \\t, \\0, \\\\ or \\xNN"
                ))
            }
        }
        return .success(bytes)
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x30...0x39: return UInt8(scalar.value - 0x30)
        case 0x41...0x46: return UInt8(scalar.value - 0x41 + 10)
        case 0x61...0x66: return UInt8(scalar.value - 0x61 + 10)
        default: return nil
        }
    }
}

/// A scalar that does not parse; `message` is ready for a diagnostic.
/// Durations as scenario files write them, for the other inputs that take one (the API's `timeout=`), so
/// every duration a user types reads and rounds the same.
public enum ScenarioDuration {
    /// `250ms`, `2s`, `1.5s`, `5m` → milliseconds; a unit is required.
    public static func milliseconds(_ text: String) -> Result<Int, ScalarSyntaxError> {
        ScalarSyntax.milliseconds(text)
    }
}

public struct ScalarSyntaxError: Error {
    /// What is wrong, for a person.
    public var message: String

    init(_ message: String) {
        self.message = message
    }
}

extension String {
    var trimmingASCIIWhitespace: String {
        let bytes = Array(utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    fileprivate var replacingUnderscores: String {
        String(unicodeScalars.filter { $0 != "_" }.map(Character.init))
    }
}
