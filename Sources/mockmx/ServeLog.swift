import Foundation
import MockMXCommandLine
import MockMXServer
import MockMXVerdicts

/// What `serve` tells whoever watches it: start-up and shutdown lines on stdout, and the transcript — on
/// stderr with `--verbose` in the text format for people, on stdout always in the JSON format for a log
/// platform (one object per line). Written through ``LogStream``s, so output nobody reads costs lines, never
/// a frozen event loop.
struct ServeLog: Sendable {
    let format: ServeSettings.LogFormat
    let verbose: Bool
    private let standardOutput = LogStream(descriptor: STDOUT_FILENO)
    private let standardError = LogStream(descriptor: STDERR_FILENO)

    init(format: ServeSettings.LogFormat, verbose: Bool) {
        self.format = format
        self.verbose = verbose
    }

    /// Lines dropped because the output was not read go to the host's `/metrics`.
    func countDrops(in metrics: Metrics) {
        standardOutput.countDrops { metrics.logLinesDropped($0) }
        standardError.countDrops { metrics.logLinesDropped($0) }
    }

    /// Called on the loop thread for every transcript entry; nil when nothing is logged.
    var transcriptHandler: (@Sendable (SessionRecord, TranscriptEntry) -> Void)? {
        switch format {
        case .json:
            return { session, entry in
                let line = JSONLogLine.transcript(
                    time: entry.time, session: session.id, listener: session.listener, scenario: session.scenario,
                    direction: entry.direction.rawValue, text: entry.text, rule: entry.rule)
                standardOutput.write(line.text)
            }
        case .text:
            guard verbose else { return nil }
            return { [standardError] session, entry in standardError.write(ServeLog.describe(session, entry)) }
        }
    }

    /// Called on the loop thread for every DNS question; nil when nothing is logged.
    var dnsQueryHandler: (@Sendable (DNSQueryRecord) -> Void)? {
        switch format {
        case .json:
            return { query in
                let line = JSONLogLine.dnsQuery(
                    time: query.time, client: query.client, name: query.name, type: query.type,
                    rcode: query.responseCode, answers: query.answers)
                standardOutput.write(line.text)
            }
        case .text:
            guard verbose else { return nil }
            return { [standardError] query in
                let time = query.time.formatted(.iso8601.time(includingFractionalSeconds: true))
                let answer = ([query.responseCode ?? "no reply"] + query.answers).joined(separator: " ")
                standardError.write("\(time) [dns] \(query.client) \(query.type) \(query.name) -> \(answer)")
            }
        }
    }

    func started(_ listeners: [BoundListener], api: BoundAddress?, apiHasToken: Bool, spool: String?) {
        for listener in listeners {
            switch format {
            case .text:
                let scheme = listener.implicitTLS ? "smtps://" : listener.lmtp ? "lmtp://" : ""
                say("mockmx: listening on \(scheme)\(listener.name) (scenario \(listener.scenario))")
                if let fingerprint = listener.tlsFingerprint { say("mockmx:   TLS certificate SHA-256 \(fingerprint)") }
            case .json:
                var line = JSONLogLine(event: "listening")
                line.add("address", listener.name)
                line.add("host", listener.host)
                line.add("port", listener.port)
                line.add("scenario", listener.scenario)
                line.add("implicitTLS", listener.implicitTLS)
                line.add("lmtp", listener.lmtp)
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
        if let api, let warning = APIExposure.warning(host: api.host, address: api.name, hasToken: apiHasToken) {
            switch format {
            case .text: standardError.write("mockmx: warning: \(warning)")
            case .json:
                var line = JSONLogLine(event: "warning")
                line.add("warning", "api-without-token")
                line.add("address", api.name)
                line.add("message", warning)
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

    func answeringDNS(_ dns: BoundAddress) {
        switch format {
        case .text: say("mockmx: answering DNS for the test domains on udp \(dns.name)")
        case .json:
            var line = JSONLogLine(event: "dns")
            line.add("address", dns.name)
            line.add("port", dns.port)
            say(line.text)
        }
    }

    /// Where the Mailpit-compatible API listens, after the control API's line.
    func mailpitAPI(_ api: BoundAddress) {
        switch format {
        case .text: say("mockmx: Mailpit-compatible API on \(api.url)")
        case .json:
            var line = JSONLogLine(event: "mailpit-api")
            line.add("address", api.name)
            line.add("port", api.port)
            line.add("url", api.url)
            say(line.text)
        }
    }

    /// The last lines, the verdicts' summary last when they were judged; waits a moment for the output to drain,
    /// never longer: an unread pipe must not hold up the exit.
    func stopped(sessions: Int, messages: Int, verdicts: VerdictReport.Summary? = nil) {
        switch format {
        case .text: say("mockmx: stopped after \(sessions) session(s), \(messages) message(s)")
        case .json:
            var line = JSONLogLine(event: "stopped")
            line.add("sessions", sessions)
            line.add("messages", messages)
            say(line.text)
        }
        switch (format, verdicts) {
        case (_, nil): break
        case (.text, let verdicts?): say("mockmx: verdicts: \(verdicts.line)")
        case (.json, let verdicts?):
            var line = JSONLogLine(event: "verdicts")
            line.add("pass", verdicts.pass)
            line.add("fail", verdicts.fail)
            line.add("pending", verdicts.pending)
            line.add("inconclusive", verdicts.inconclusive)
            say(line.text)
        }
        standardError.flush(timeout: .milliseconds(500))
        standardOutput.flush(timeout: .milliseconds(500))
    }

    private func say(_ line: String) { standardOutput.write(line) }

    static func describe(_ session: SessionRecord, _ entry: TranscriptEntry) -> String {
        let arrow: String
        switch entry.direction {
        case .client: arrow = "C:"
        case .hostReceived: arrow = "H<"
        case .server: arrow = "S:"
        case .note: arrow = "--"
        }
        let time = entry.time.formatted(.iso8601.time(includingFractionalSeconds: true))
        return "\(time) [\(session.id)] \(arrow) \(entry.text)"
    }
}
