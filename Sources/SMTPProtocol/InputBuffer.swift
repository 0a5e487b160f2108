#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes received but not yet consumed. A contiguous array with a read index, compacted lazily so
/// consuming a line is O(1) and appending is amortized O(n).
struct InputBuffer {
    private var storage: [UInt8] = []
    private var readIndex = 0

    var count: Int { storage.count - readIndex }
    var isEmpty: Bool { readIndex == storage.count }

    mutating func append<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536 && readIndex * 2 > storage.count {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        // The transport hands over an UnsafeBufferPointer through the state machine's generic, cross-module
        // `receive`, where `C` is not specialized: one contiguous copy instead of element-by-element
        // iteration through the Collection witness table.
        let copied: Void? = bytes.withContiguousStorageIfAvailable { storage.append(contentsOf: $0) }
        if copied == nil { storage.append(contentsOf: bytes) }
    }

    subscript(offset: Int) -> UInt8 { storage[readIndex + offset] }

    /// Offset of the first LF within the first `limit` unread bytes.
    func firstLineFeed(within limit: Int) -> Int? {
        let length = min(limit, count)
        guard length > 0 else { return nil }
        return storage.withUnsafeBufferPointer { buffer -> Int? in
            let base = UnsafeRawPointer(buffer.baseAddress! + readIndex)
            guard let found = memchr(base, 0x0A, length) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    /// The unread bytes, in place (valid only inside `body`).
    func withUnreadBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[readIndex...]))
        }
    }

    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(readIndex + range.lowerBound)..<(readIndex + range.upperBound)]
    }

    mutating func consume(_ n: Int) {
        precondition(n <= count)
        readIndex += n
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 65_536)
            readIndex = 0
        }
    }

    mutating func removeAll() {
        storage.removeAll(keepingCapacity: false)
        readIndex = 0
    }
}
