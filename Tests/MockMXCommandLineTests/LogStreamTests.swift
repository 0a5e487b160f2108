import Foundation
import MockMXCommandLine
import Testing

@Suite struct LogStreamTests {
    /// A pipe whose reading end the test controls.
    private struct PipeEnds {
        let read: Int32
        let write: Int32

        init() throws {
            var descriptors: [Int32] = [0, 0]
            try #require(pipe(&descriptors) == 0)
            (read, write) = (descriptors[0], descriptors[1])
        }

        /// Fills the pipe as a reader that stopped reading would leave it: `filler` lines up to its last byte.
        func fillUp() {
            let flags = fcntl(write, F_GETFL)
            _ = fcntl(write, F_SETFL, flags | O_NONBLOCK)
            let filler = Array("filler\n".utf8)
            while Glibc.write(write, filler, filler.count) == filler.count {}
            _ = fcntl(write, F_SETFL, flags)
        }

        /// Everything written until the writing end closes.
        func readAll() -> String {
            var data: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while case let count = Glibc.read(read, &chunk, chunk.count), count > 0 { data += chunk[..<count] }
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test func writesNeverWaitForAReaderAndLostLinesAreCountedThenAnnounced() throws {
        let ends = try PipeEnds()
        defer { close(ends.read) }
        ends.fillUp()
        let stream = LogStream(descriptor: ends.write, capacity: 4_096)
        let line = String(repeating: "x", count: 99)
        // 2 MB into a full pipe and a 4 KiB buffer: returns only because nothing waits for the reader.
        for number in 0..<20_000 { stream.write("\(number) \(line)") }
        #expect(stream.droppedLines > 0)
        #expect(!stream.flush(timeout: .milliseconds(50)))

        let received = Received()
        let reader = Thread { [ends] in received.finish(ends.readAll()) }
        reader.start()
        #expect(stream.flush(timeout: .seconds(10)))
        stream.write("after")
        #expect(stream.flush(timeout: .seconds(10)))
        close(ends.write)

        let lines = received.wait().split(separator: "\n").drop { $0 == "filler" }
        // What was kept arrives whole and in order, and the count of what was not is announced.
        let numbers = lines.compactMap { Int($0.split(separator: " ").first ?? "") }
        #expect(numbers == numbers.sorted())
        #expect(lines.last == "after")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("mockmx: ") || $0.hasSuffix(line) })
        let notices = lines.filter { $0.hasSuffix("log line(s) dropped: the output was not being read") }
        let announced = notices.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +)
        #expect(!notices.isEmpty)
        #expect(announced == 20_000 - numbers.count)
    }

    @Test func countsEachDroppedLineThroughTheHandler() throws {
        // Left open: the stream's thread stays blocked on this full pipe for the rest of the process, and a
        // closed descriptor's number would be reused by another test's pipe.
        let ends = try PipeEnds()
        ends.fillUp()
        let stream = LogStream(descriptor: ends.write, capacity: 100)
        let counted = Counter()
        stream.countDrops { counted.add($0) }
        for _ in 0..<2_000 { stream.write(String(repeating: "y", count: 60)) }
        #expect(counted.value == stream.droppedLines)
        #expect(counted.value > 0)
    }

    /// The reader thread's text, handed over once the pipe is closed.
    private final class Received: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var text = ""
        func finish(_ text: String) {
            self.text = text
            done.signal()
        }
        func wait() -> String {
            done.wait()
            return text
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        func add(_ amount: Int) { lock.withLock { total += amount } }
        var value: Int { lock.withLock { total } }
    }
}
