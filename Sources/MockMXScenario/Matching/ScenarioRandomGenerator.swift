/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and the same sequence for the same seed on every
/// platform and Swift version — unlike `SystemRandomNumberGenerator`, which `chance:` must never use,
/// because a failing test has to fail again the same way.
struct ScenarioRandomGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A uniform draw in 0..<1 from the top 53 bits, computed explicitly so it does not depend on the
    /// standard library's `Double.random(in:)` algorithm.
    mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
