import Foundation
import MockMXScenario

/// `/healthz`, `/metrics` and `POST /api/v1/reset`.
extension ControlAPI {
    /// `503` from the start of a graceful shutdown: a load balancer or an orchestrator stops sending new
    /// work while the open sessions finish.
    func health() -> APIResponse {
        let listeners = runtime.listeners.map(describe)
        guard !runtime.shuttingDown else {
            return .json(HealthReport(status: "shutting-down", listeners: listeners), status: 503)
        }
        return .json(HealthReport(status: "ok", listeners: listeners))
    }

    func metricsText() -> APIResponse {
        let snapshot = runtime.metrics.snapshot
        var text = PrometheusText()
        text.add(
            "mockmx_sessions_total", .counter, help: "SMTP sessions accepted since start or reset.",
            value: snapshot.sessions)
        text.add(
            "mockmx_sessions_active", .gauge, help: "SMTP sessions open now.", value: runtime.openConnectionCount)
        text.add(
            "mockmx_sessions_held", .gauge, help: "Open sessions a rule withheld an answer from or stopped reading.",
            value: runtime.heldConnectionCount)
        text.add(
            "mockmx_connections_refused_total", .counter,
            help: "Connections refused with 421 because the host had its maximum of open connections.",
            value: snapshot.connectionsRefused)
        text.add(
            "mockmx_messages_total", .counter, help: "Messages accepted since start or reset.",
            value: runtime.messages.totalAccepted)
        text.add(
            "mockmx_messages_dropped_total", .counter,
            help: "Messages no longer kept in memory because of the retention limits (count or bytes).",
            value: runtime.messages.totalDropped)
        text.add(
            "mockmx_messages_retained_bytes", .gauge,
            help: "Bytes of message content and XEXCH50 blobs kept in memory (bounded by --retain-message-bytes).",
            value: runtime.messages.totalRetainedBytes)
        text.add(
            "mockmx_sessions_dropped_total", .counter,
            help: "Sessions no longer kept in memory because of the retention limits (count or transcript bytes).",
            value: runtime.sessions.totalDropped)
        text.add(
            "mockmx_transcripts_retained_bytes", .gauge,
            help: "Bytes of ended sessions' transcripts kept in memory (bounded by --retain-transcript-bytes).",
            value: runtime.sessions.totalRetainedTranscriptBytes)
        text.add(
            "mockmx_replies_total", .counter, help: "SMTP replies written, by reply code.",
            samples: snapshot.replies.sorted { $0.key < $1.key }.map { ([("code", String($0.key))], $0.value) })
        text.add(
            "mockmx_rule_fired_total", .counter, help: "Scenario rules fired, by rule.",
            samples: snapshot.rules.sorted { $0.key < $1.key }.map { ([("rule", $0.key)], $0.value) })
        text.add(
            "mockmx_state_keys", .gauge,
            help: "Keys of greylist and rate-limit state held by the listeners' scenarios.",
            value: runtime.listeners.reduce(0) { $0 + $1.engine.stateKeyCount })
        text.add(
            "mockmx_state_keys_evicted_total", .counter,
            help: "Keys of greylist and rate-limit state evicted because a listener held its maximum.",
            value: snapshot.stateKeysEvicted)
        text.add(
            "mockmx_bytes_sent_total", .counter, help: "Bytes written to SMTP clients.",
            value: snapshot.bytesSent)
        text.add(
            "mockmx_bytes_received_total", .counter, help: "Bytes read from SMTP clients.",
            value: snapshot.bytesReceived)
        text.add(
            "mockmx_log_lines_dropped_total", .counter,
            help: "Log lines dropped because mockmx's standard output or error was not being read.",
            value: snapshot.logLinesDropped)
        text.add(
            "mockmx_api_waits_pending", .gauge, help: "Control API long polls waiting for their condition.",
            value: pendingWaits.count)
        return APIResponse(status: 200, contentType: PrometheusText.contentType, body: Array(text.text.utf8))
    }

    /// Back to a fresh host for the next test: messages, sessions and metrics cleared, and every listener back
    /// on the scenario it started with (a scenario one test switched to would otherwise greylist the next), its
    /// rule state (`times:` counts, `session:` numbering, the `chance:` generator) as at start. With
    /// `?scenarios=keep` switched scenarios stay, their rule state reset all the same. Open sessions go on.
    /// The DNS responder's query log is cleared with the sessions.
    func reset(_ request: APIRequest) -> APIResponse {
        let keepScenarios: Bool
        switch request.query["scenarios"] {
        case nil: keepScenarios = false
        case "keep": keepScenarios = true
        case let other?:
            return .error(
                400, "scenarios must be 'keep' (or left out to restore the start-up scenarios), found '\(other)'")
        }
        runtime.messages.removeAll()
        runtime.sessions.removeAll()
        runtime.dnsQueries.removeAll()
        runtime.metrics.reset()
        for listener in runtime.listeners {
            if keepScenarios {
                listener.engine.reset()
            } else {
                listener.engine = listener.makeEngine(listener.startupScenario)
            }
        }
        return .json(ResetReport(status: "reset"))
    }
}

/// `/healthz`: `ok`, or `shutting-down` with a 503, and the listeners.
struct HealthReport: Encodable {
    var status: String
    var listeners: [ListenerDescription]
}

/// `{"status": "reset"}`.
struct ResetReport: Encodable {
    var status: String
}
