import Foundation
import MockMXCommandLine
import MockMXServer

/// What `serve` tells whoever watches it: start-up and shutdown lines on stdout, and the transcript — on
/// stderr with `--verbose` in the text format for people, on stdout always in the JSON format for a log
/// platform (one object per line).
struct ServeLog: Sendable {
    let format: ServeSettings.LogFormat
    let verbose: Bool

    /// Called on the loop thread for every transcript entry; nil when nothing is logged.
    var transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)? {
        switch format {
        case .json:
            return { session, entry in
                let line = JSONLogLine.transcript(
                    time: entry.time, session: session.id, listener: session.listener, scenario: session.scenario,
                    direction: entry.direction.rawValue, text: entry.text, rule: entry.rule)
                StandardStreams.write(line.text, to: STDOUT_FILENO)
            }
        case .text:
            return verbose ? ServeLog.printTranscript : nil
        }
    }

    func started(_ listeners: [BoundListener], api: BoundAddress?, spool: String?) {
        for listener in listeners {
            switch format {
            case .text:
                let scheme = listener.implicitTLS ? "smtps://" : ""
                say("mockmx: listening on \(scheme)\(listener.name) (scenario \(listener.scenario))")
                if let fingerprint = listener.tlsFingerprint { say("mockmx:   TLS certificate SHA-256 \(fingerprint)") }
            case .json:
                var line = JSONLogLine(event: "listening")
                line.add("address", listener.name)
                line.add("host", listener.host)
                line.add("port", listener.port)
                line.add("scenario", listener.scenario)
                line.add("implicitTLS", listener.implicitTLS)
                line.add("tlsFingerprint", listener.tlsFingerprint)
                say(line.text)
            }
        }
        if let api {
            switch format {
            case .text: say("mockmx: control API on \(api.url)")
            case .json:
                var line = JSONLogLine(event: "api")
                line.add("address", api.name)
                line.add("port", api.port)
                line.add("url", api.url)
                say(line.text)
            }
        }
        if let spool {
            switch format {
            case .text: say("mockmx: spooling messages to \(spool)")
            case .json:
                var line = JSONLogLine(event: "spooling")
                line.add("directory", spool)
                say(line.text)
            }
        }
    }

    func stopped(sessions: Int, messages: Int) {
        switch format {
        case .text: say("mockmx: stopped after \(sessions) session(s), \(messages) message(s)")
        case .json:
            var line = JSONLogLine(event: "stopped")
            line.add("sessions", sessions)
            line.add("messages", messages)
            say(line.text)
        }
    }

    private func say(_ line: String) { StandardStreams.write(line, to: STDOUT_FILENO) }

    @Sendable static func printTranscript(_ session: SessionRecord, _ entry: TranscriptEntry) {
        let arrow: String
        switch entry.direction {
        case .client: arrow = "C:"
        case .hostReceived: arrow = "H<"
        case .server: arrow = "S:"
        case .note: arrow = "--"
        }
        let time = entry.time.formatted(.iso8601.time(includingFractionalSeconds: true))
        StandardStreams.write("\(time) [\(session.id)] \(arrow) \(entry.text)", to: STDERR_FILENO)
    }
}

/// Whole lines straight to a descriptor, one writer at a time: the loop thread logs the transcript while the
/// main thread prints the start-up lines, and neither may split the other's line. No stdio buffer, so a line
/// is out before the next event (a log collector reading a pipe sees it at once), and a closed pipe is
/// ignored rather than fatal.
enum StandardStreams {
    private static let lock = NSLock()

    static func write(_ line: String, to descriptor: Int32) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
