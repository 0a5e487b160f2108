import Synchronization

/// A clock for scenario time that moves only when a test says so: greylist delays and rate windows pass
/// at once, with no sleeping.
final class TestClock: Sendable {
    private let now = Atomic<Int64>(0)

    var milliseconds: Int64 { now.load(ordering: .relaxed) }

    func advance(milliseconds: Int64) {
        now.add(milliseconds, ordering: .relaxed)
    }
}
