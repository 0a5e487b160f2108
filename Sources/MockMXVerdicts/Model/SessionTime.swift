/// Transcript times as ISO 8601 UTC with microseconds (`2026-12-01T21:50:00.123456Z`): milliseconds cannot
/// tell whether a pipelined command arrived before or after the reply it had to wait for on loopback.
/// Written and read here without Foundation's formatters, which cost more than judging a session.
public enum SessionTime {
    /// `seconds` since 1970-01-01T00:00:00Z.
    public static func format(secondsSince1970 seconds: Double) -> String {
        format(microsecondsSince1970: Int64((seconds * 1_000_000).rounded()), millisecondsOnly: false)
    }

    /// `seconds` since 2001-01-01T00:00:00Z (a `Date`'s own count) with the fraction cut to milliseconds, as
    /// Foundation's ISO 8601 style writes it: the whole seconds first, then the fraction truncated, both from
    /// that count (through seconds since 1970 a last bit of rounding can move a millisecond).
    public static func format(secondsSinceReferenceDate seconds: Double) -> String {
        let whole = seconds.rounded(.down)
        let milliseconds = Int64(((seconds - whole) * 1_000).rounded(.down))
        return format(
            microsecondsSince1970: (Int64(whole) + 978_307_200) * 1_000_000 + milliseconds * 1_000,
            millisecondsOnly: true)
    }

    private static func format(microsecondsSince1970 micros: Int64, millisecondsOnly: Bool) -> String {
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        let secondOfDay = rest / 1_000_000
        let fraction = rest % 1_000_000
        return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T"
            + padded(secondOfDay / 3600, 2) + ":" + padded(secondOfDay / 60 % 60, 2) + ":"
            + padded(secondOfDay % 60, 2) + "." + (millisecondsOnly ? padded(fraction / 1_000, 3) : padded(fraction, 6))
            + "Z"
    }

    /// Seconds since 1970 of an ISO 8601 time with any number of fraction digits and `Z`, `±hh:mm` or `±hhmm`;
    /// nil when it is not one.
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    private static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]),
            let second = number(bytes[17..<19]), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let zone = bytes[(index + 1)...].filter { $0 != UInt8(ascii: ":") }
            guard zone.count == 4, let hours = number(zone.prefix(2)), let minutes = number(zone.suffix(2)) else {
                return nil
            }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return Double(seconds) + fraction
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func number<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
        var value = 0
        for byte in bytes {
            guard let digit = digit(byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func padded<I: BinaryInteger>(_ value: I, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    // Howard Hinnant's days-from-civil and its inverse (proleptic Gregorian calendar).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
