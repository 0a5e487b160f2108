/// Reads a fuzz input as a few control bytes followed by a payload. Past the end every control byte is 0,
/// so any input, even an empty one, decodes to something.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return offset < bytes.count ? Array(bytes[offset...]) : []
    }
}

/// SplitMix64: a tiny deterministic generator, so a control byte decides a whole schedule.
public struct SplitMix64 {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}

/// How a byte stream is cut into the reads the transport would see: all at once, one byte at a time,
/// or pseudo-random chunk sizes up to a maximum. Decided by one control byte.
public struct FeedSchedule {
    private var generator: SplitMix64
    private let maximum: Int

    public init(control: UInt8) {
        generator = SplitMix64(seed: UInt64(control))
        switch control & 0x03 {
        case 0: maximum = Int.max
        case 1: maximum = 1
        case 2: maximum = 8
        default: maximum = 300
        }
    }

    /// Cuts `bytes` into chunks.
    public mutating func chunks(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let size = maximum == Int.max ? bytes.count : 1 + generator.below(maximum)
            let end = min(bytes.count, start + size)
            result.append(bytes[start..<end])
            start = end
        }
        return result
    }
}
