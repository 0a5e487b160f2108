/// ASCII case folding for protocol words — verbs, EHLO keywords, parameter names, event names — which
/// compare case-insensitively in ASCII only (RFC 5321 §2.4). The Unicode-aware `uppercased()` and
/// `lowercased()` cost more than the rest of a command's parsing.
public enum ASCII {
    @inlinable @inline(__always)
    public static func uppercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x61 && byte <= 0x7A ? byte & ~0x20 : byte
    }

    @inlinable @inline(__always)
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    public static func uppercased(_ text: String) -> String {
        String(decoding: text.utf8.map(uppercased), as: UTF8.self)
    }

    /// Up to eight bytes upper-cased and packed into one integer, so that a word is compared with a
    /// handful of known ones as integers; nil when longer, or holding a NUL (which no protocol word has,
    /// and which would make two lengths pack alike).
    @inlinable
    public static func uppercasedKey<C: Collection>(_ bytes: C) -> UInt64? where C.Element == UInt8 {
        var key: UInt64 = 0
        var count = 0
        for byte in bytes {
            guard count < 8, byte != 0 else { return nil }
            key = key << 8 | UInt64(uppercased(byte))
            count += 1
        }
        return key
    }
}
