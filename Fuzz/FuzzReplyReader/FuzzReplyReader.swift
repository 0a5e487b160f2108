import FuzzSupport
import SMTPProtocol

/// The reader of another host's replies (a proxy's upstream) fed arbitrary bytes in arbitrary reads.
///
/// Invariants: it never crashes; what it reads does not depend on how the bytes were cut into reads; it
/// never holds more than one line's bound of unread bytes; every reply it gives, encoded again, is the
/// bytes it was read from (with CRLF line ends), so a relayed reply reaches the client as the upstream sent it.
///
/// Input layout: one byte for how the rest is cut into reads (`FeedSchedule`), then the host's bytes.
enum ReplyReaderFuzzer {
    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        var schedule = FeedSchedule(control: input.byte())
        let payload = input.rest()
        let split = read(schedule.chunks(of: payload).map(Array.init))
        let whole = read(payload.isEmpty ? [] : [payload])
        invariant(split.replies == whole.replies, "the replies depend on how the bytes were read")
        invariant(split.failure == whole.failure, "the failure depends on how the bytes were read")
        for reply in whole.replies {
            let encoded = reply.encoded(enhancedStatusCodes: false)
            var again = SMTPReplyReader()
            again.receive(encoded)
            invariant((try? again.next()) == reply, "a reply does not read back from its encoding: \(printable(encoded))")
        }
    }

    static func read(_ chunks: [[UInt8]]) -> (replies: [SMTPReply], failure: SMTPReplyReader.Failure?) {
        var reader = SMTPReplyReader()
        var replies: [SMTPReply] = []
        for chunk in chunks {
            reader.receive(chunk)
            do {
                while let reply = try reader.next() { replies.append(reply) }
            } catch {
                return (replies, error)
            }
            invariant(reader.bufferedByteCount <= SMTPReplyReader.maximumLineLength + 1 + chunk.count,
                      "holds \(reader.bufferedByteCount) unread bytes")
        }
        return (replies, nil)
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ReplyReaderFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzReplyReaderReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), ReplyReaderFuzzer.run)
    }
}
#endif
