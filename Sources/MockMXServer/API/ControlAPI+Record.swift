import Foundation
import MockMXScenario
import MockMXTranscripts

/// `/api/v1/listeners/{id}/record`: `mockmx record` on a running proxy. `POST` starts recording the sessions
/// the listener begins from now on; `GET` answers the scenario they make so far (``ScenarioRecorder``);
/// `DELETE` stops and answers it one last time. `?format=yaml` answers the scenario alone, as a file.
extension ControlAPI {
    /// When recording began on a listener (by name), and the upstream it proxies.
    struct Recording {
        var since: Date
        var upstream: String
    }

    func startRecording(onListener id: String) -> APIResponse {
        let listeners: [SMTPListener]
        switch self.listeners(withID: id) {
        case .success(let found): listeners = found
        case .failure(let failure): return failure.response
        }
        guard let upstream = listeners.lazy.compactMap(upstream(of:)).first else {
            return .error(
                409,
                "listener \(listeners[0].name) is not a proxy: its scenario names no upstream: and serve has no "
                    + "--upstream, so there is no host to record")
        }
        if let recording = recordings[listeners[0].name] {
            return .error(
                409, "listener \(listeners[0].name) is already recording since \(ISO8601.string(recording.since)); "
                    + "DELETE /api/v1/listeners/\(id)/record stops it")
        }
        let recording = Recording(since: Date(), upstream: upstream.address.description)
        for listener in listeners { recordings[listener.name] = recording }
        return report(listeners, recording, recording: true, format: nil, status: 201)
    }

    func recordedScenario(onListener id: String, _ request: APIRequest, stop: Bool) -> APIResponse {
        let listeners: [SMTPListener]
        switch self.listeners(withID: id) {
        case .success(let found): listeners = found
        case .failure(let failure): return failure.response
        }
        let format = request.query["format"]
        if let format, format != "yaml", format != "json" {
            return .error(400, "format must be json (the default) or yaml, found '\(format)'")
        }
        guard let recording = recordings[listeners[0].name] else {
            return .error(404, "listener \(listeners[0].name) is not recording; POST /api/v1/listeners/\(id)/record starts it")
        }
        if stop { for listener in listeners { recordings[listener.name] = nil } }
        return report(listeners, recording, recording: !stop, format: format, status: 200)
    }

    private func upstream(of listener: SMTPListener) -> UpstreamSettings? {
        listener.engine.scenario.upstream ?? runtime.configuration.upstream
    }

    private func report(
        _ listeners: [SMTPListener], _ recording: Recording, recording active: Bool, format: String?, status: Int
    ) -> APIResponse {
        let names = Set(listeners.map(\.name))
        let sessions = runtime.sessions.all.filter { names.contains($0.listener) && $0.startedAt >= recording.since }
        let scenario = ScenarioRecorder.scenario(
            from: sessions.map { session in
                session.transcript.map {
                    ScenarioRecorder.Entry(direction: $0.direction.rawValue, text: $0.text, time: $0.time)
                }
            },
            upstream: recording.upstream)
        if format == "yaml" {
            guard let scenario else {
                return .error(
                    409, "no session since \(ISO8601.string(recording.since)) reached the upstream's greeting "
                        + "(\(sessions.count) session(s)); there is no scenario yet")
            }
            return APIResponse(status: status, contentType: "application/yaml", body: Array(scenario.utf8))
        }
        return .json(
            RecordingReport(
                listeners: names.sorted(), upstream: recording.upstream, since: ISO8601.string(recording.since),
                recording: active, sessions: sessions.count, scenario: scenario),
            status: status)
    }
}

/// `{"listeners", "upstream", "since", "recording", "sessions", "scenario"}`: `scenario` is the YAML text, or
/// `null` until a session has reached the upstream's greeting.
struct RecordingReport: Encodable {
    var listeners: [String]
    var upstream: String
    var since: String
    /// False in the answer to `DELETE`: recording has stopped.
    var recording: Bool
    /// Sessions the listener began since recording started.
    var sessions: Int
    var scenario: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listeners, forKey: .listeners)
        try container.encode(upstream, forKey: .upstream)
        try container.encode(since, forKey: .since)
        try container.encode(recording, forKey: .recording)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(scenario, forKey: .scenario)
    }

    private enum CodingKeys: String, CodingKey {
        case listeners, upstream, since, recording, sessions, scenario
    }
}
