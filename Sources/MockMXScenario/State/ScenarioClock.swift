/// Scenario time: what every duration in a scenario is measured against.
///
/// With `--clock-scale F` a nominal duration `d` lasts `d × F` of real time, so scenario time runs `1/F` as
/// fast as the real clock; keyed state compares nominal durations with it, and reply texts show nominal
/// values (`come back in 00:05:00` even when that takes 3 real seconds).
public struct ScenarioClock: Sendable {
    /// The multiplier for every duration a scenario states (1: real time).
    public let scale: Double
    private let realMilliseconds: @Sendable () -> Int64

    /// A clock reading `realMilliseconds` (any origin, never going back); tests pass their own.
    public init(scale: Double = 1, realMilliseconds: @escaping @Sendable () -> Int64) {
        precondition(scale > 0 && scale.isFinite, "a clock scale is a positive number")
        self.scale = scale
        self.realMilliseconds = realMilliseconds
    }

    /// The monotonic clock of the machine.
    public static func monotonic(scale: Double = 1) -> ScenarioClock {
        let origin = ContinuousClock.now
        return ScenarioClock(scale: scale) {
            let elapsed = ContinuousClock.now - origin
            return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        }
    }

    /// Now, in scenario milliseconds.
    public func now() -> Int64 {
        scale == 1 ? realMilliseconds() : Int64((Double(realMilliseconds()) / scale).rounded(.down))
    }

    /// The real milliseconds a nominal duration lasts (at least 1 for a duration that is not 0, so a
    /// scaled delay still yields to the event loop).
    public func real(milliseconds: Int) -> Int {
        guard scale != 1, milliseconds > 0 else { return milliseconds }
        return max(1, Int((Double(milliseconds) * scale).rounded()))
    }
}
