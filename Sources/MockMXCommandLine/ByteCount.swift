/// A size as a person writes it on the command line or in a variable: `268435456`, `256MiB`, `64M`, `1GiB`,
/// `512KiB`. The units are powers of 1024 (`K` = `KiB`); `KB`/`MB` are refused rather than guessed at, since
/// they mean powers of 1000 to some readers and 1024 to others.
public struct ByteCount: Sendable, Equatable, CustomStringConvertible {
    public var bytes: Int

    public init(bytes: Int) {
        self.bytes = bytes
    }

    /// nil for anything but digits and an optional unit (`B`, `K`/`KiB`, `M`/`MiB`, `G`/`GiB`, any case), or
    /// a count that overflows.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        let digits = utf8.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 19, let number = Int(String(decoding: digits, as: UTF8.self)) else {
            return nil
        }
        let unit = String(decoding: utf8[digits.count...], as: UTF8.self).lowercased()
        let shift: Int
        switch unit {
        case "", "b": shift = 0
        case "k", "kib": shift = 10
        case "m", "mib": shift = 20
        case "g", "gib": shift = 30
        default: return nil
        }
        guard number <= Int.max >> shift else { return nil }
        bytes = number << shift
    }

    /// `256MiB` when it divides evenly, else the bytes.
    public var description: String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }
}
