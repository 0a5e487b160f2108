import Foundation
import MockMXScenario
import MockMXVerdicts
import SMTPProtocol

/// Every step of the session goes into its transcript: the client's lines as they arrived, the host's
/// replies with the rule that decided them, and notes.
extension SMTPConnection {
    func note(_ text: String, rule: String? = nil) {
        append(.note, text, rule: rule)
    }

    /// `time`: when the line's bytes arrived; now when nil.
    func append(_ direction: TranscriptEntry.Direction, _ text: String, rule: String? = nil, at time: Date? = nil) {
        let entry = record.append(direction, text, rule: rule, at: time)
        host.transcriptWritten(record, entry)
    }

    /// One line of bytes for the transcript: `verb`, a space and `bytes` escaped.
    func appendLine(
        _ direction: TranscriptEntry.Direction, verb: String? = nil, _ bytes: UnsafeBufferPointer<UInt8>,
        rule: String? = nil, at time: Date? = nil
    ) {
        appendText(direction, rule: rule, at: time) { Transcript.appendLine(verb: verb, bytes, to: &$0) }
    }

    /// A transcript line whose UTF-8 text `write` appends: straight into the session's log, with a
    /// `String` made only when a handler watches entries live.
    func appendText(
        _ direction: TranscriptEntry.Direction, rule: String? = nil, at time: Date? = nil,
        _ write: (inout [UInt8]) -> Void
    ) {
        guard transcriptWatched else { return record.appendText(direction, rule: rule, at: time, write) }
        var text: [UInt8] = []
        write(&text)
        append(direction, String(decoding: text, as: UTF8.self), rule: rule, at: time)
    }

    /// The client's side of a step, dated when its bytes arrived; DATA content by its first byte, its `.` by
    /// the last.
    func recordInbound(_ event: SMTPEvent, arrivedAt time: Date?, contentArrivedAt contentTime: Date? = nil) {
        // Behind a firewall the client's own lines were recorded as read; these are what the host got.
        let received: TranscriptEntry.Direction = behindFirewall ? .hostReceived : .client
        switch event {
        case .connect, .idle:
            break
        case .command(let verb, let arguments, _):
            arguments.withUnsafeBufferPointer { appendLine(received, verb: verb, $0, at: time) }
        case .malformedLine(let problem):
            note("malformed command line: \(problem.rawValue)")
        case .dataProgress(let bytes):
            note("message content reached \(bytes) bytes")
        case .dataEnd(let bytes):
            appendText(received, at: contentTime ?? time) { text in
                text.append(UInt8(ascii: "<"))
                text.appendDecimal(bytes)
                text += " bytes of message content>".utf8
            }
            appendText(received, at: time) { $0.append(UInt8(ascii: ".")) }
            let facts = machine.lastDataLineFacts
            if !facts.isClean {
                note(
                    ContentShape(
                        bareLineFeeds: facts.bareLineFeeds, bareCarriageReturns: facts.bareCarriageReturns,
                        longLines: facts.longLines, longestLine: facts.longestLine
                    ).note)
            }
        case .xexch50Blob(let bytes):
            append(received, "<\(bytes) bytes of XEXCH50 blob>", at: time)
        case .bdatChunk(let bytes, let last, _):
            append(received, "BDAT \(bytes)\(last ? " LAST" : "") <\(bytes) bytes of chunk>", at: time)
        case .authResponse:
            append(received, "<AUTH response>", at: time)
        }
    }

    func recordOutbound(_ bytes: [UInt8]) {
        host.metrics.replyWritten(bytes)
        bytes.withUnsafeBufferPointer { buffer in
            Transcript.forEachLine(buffer) { appendLine(.server, $0, rule: ruleLabel) }
        }
    }
}

extension SMTPEvent {
    var arguments: [UInt8] {
        switch self {
        case .command(_, let arguments, _), .bdatChunk(_, _, let arguments): arguments
        default: []
        }
    }

    var progressBytes: Int? {
        if case .dataProgress(let bytes) = self { bytes } else { nil }
    }
}

extension RuleAction {
    /// How the transcript names the action.
    var summary: String {
        switch self {
        case .reply(let reply): "reply \(reply.code)"
        case .useDefault: "default"
        case .delay(let milliseconds): "delay \(milliseconds)ms"
        case .withhold: "withhold"
        case .stall: "stall"
        case .close: "close"
        case .reset: "reset"
        case .trickle(let milliseconds): "trickle \(milliseconds)ms"
        case .truncate(let bytes): "truncate \(bytes)"
        case .raw(let bytes): "raw \(bytes.count) bytes"
        case .dropMessage: "drop-message"
        }
    }
}
