import Foundation

/// What a plain client sent while a step was in progress (a delay, a trickle), read so that a client that
/// goes away is noticed at once, and handed to the session when it is ready — with the time each read
/// arrived, for the transcript.
struct HeldInput {
    private(set) var bytes: [UInt8] = []
    /// Per read: the offset in `bytes` where it ends, and when it arrived.
    private var reads: [(end: Int, time: Date)] = []

    var isEmpty: Bool { bytes.isEmpty }
    var count: Int { bytes.count }

    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, at time: Date) {
        bytes.append(contentsOf: chunk)
        reads.append((bytes.count, time))
    }

    /// Takes up to `limit` bytes from the front, one piece per read they came from, in order.
    mutating func take(upTo limit: Int) -> [(bytes: [UInt8], time: Date)] {
        let taken = min(limit, bytes.count)
        var pieces: [(bytes: [UInt8], time: Date)] = []
        var start = 0
        while start < taken, let read = reads.first {
            let end = min(read.end, taken)
            pieces.append((Array(bytes[start..<end]), read.time))
            start = end
            if read.end <= taken { reads.removeFirst() }
        }
        bytes.removeFirst(taken)
        for index in reads.indices { reads[index].end -= taken }
        return pieces
    }

    mutating func removeAll() {
        bytes = []
        reads = []
    }
}
