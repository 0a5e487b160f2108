import Foundation

/// When the bytes given to the session state machine arrived, so a client line in the transcript carries the
/// time its bytes came off the wire, not the time its step ran (a pipelined command waits for a delayed
/// reply before it is parsed; a judge of the client's timing needs the former).
///
/// Offsets count the bytes handed to the state machine since the start (or since the switch to TLS). One
/// mark per read, forgotten once the state machine has consumed past it.
struct ArrivalTimes {
    private var marks: [(end: Int, time: Date)] = []
    private var firstMark = 0
    /// Bytes handed over so far.
    private(set) var total = 0

    /// `count` more bytes, read at `time`.
    mutating func received(_ count: Int, at time: Date) {
        guard count > 0 else { return }
        total += count
        marks.append((total, time))
    }

    /// When the byte at `offset` arrived; marks of bytes before it are dropped. nil when unknown.
    mutating func arrival(ofByteAt offset: Int) -> Date? {
        while firstMark < marks.count, marks[firstMark].end <= offset { firstMark += 1 }
        if firstMark == marks.count || firstMark > 64 {
            // Compacted now and then rather than shifting the list on every event.
            marks.removeFirst(firstMark)
            firstMark = 0
        }
        return firstMark < marks.count ? marks[firstMark].time : nil
    }

    /// After STARTTLS the state machine starts a fresh input.
    mutating func restart() {
        marks.removeAll(keepingCapacity: true)
        firstMark = 0
        total = 0
    }
}
