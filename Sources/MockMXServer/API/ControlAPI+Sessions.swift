import Foundation
import MockMXVerdicts

/// `/api/v1/sessions…`: who connected, what was said, how it ended.
extension ControlAPI {
    /// Every retained session without its transcript (`transcriptEntries` counts it); `started` (also as
    /// `accepted`, the name every list's counter has) and `ended` count every session since start or the last
    /// reset, including the `dropped` ones retention no longer keeps.
    func listSessions(_ request: APIRequest) -> APIResponse {
        let page: ListPage
        switch ListPage.requested(by: request) {
        case .success(let requested): page = requested
        case .failure(let error): return error.response
        }
        let (total, start, sessions) = runtime.sessions.page(page)
        let started = runtime.sessions.totalStarted
        let list = SessionList(
            total: total, start: start, count: sessions.count, accepted: started,
            dropped: runtime.sessions.totalDropped, started: started, ended: runtime.sessions.totalEnded,
            sessions: sessions.map(summary))
        return .json(list)
    }

    /// One session with its full transcript, in the one session shape (``RecordedSession``, `"format": 1`).
    func session(_ id: String) -> APIResponse {
        guard let session = runtime.sessions.session(id: id) else {
            return .error(404, "no session with id '\(id)' (it may have been reset or dropped by retention)")
        }
        return .json(session.recorded())
    }

    private func summary(_ session: SessionRecord) -> SessionSummary {
        let ended = session.ended
        return SessionSummary(
            id: session.id, listener: session.listener, scenario: session.scenario, client: session.clientAddress,
            startedAt: ISO8601.string(session.startedAt), endedAt: ended.map { ISO8601.string($0.at) },
            endReason: ended.map(\.reason.rawValue), messages: session.messageIDs,
            transcriptEntries: session.transcriptEntryCount,
            omittedTranscriptEntries: session.omittedEntryCount, rulesFired: session.rulesFired)
    }
}

/// `GET /api/v1/sessions`.
struct SessionList: Encodable {
    var total: Int
    var start: Int
    var count: Int
    var accepted: Int
    var dropped: Int
    var started: Int
    var ended: Int
    var sessions: [SessionSummary]
}

/// A session without its transcript; `endedAt` and `endReason` are `null` while it is open.
struct SessionSummary: Encodable {
    var id: String
    var listener: String
    var scenario: String
    var client: String
    var startedAt: String
    var endedAt: String?
    var endReason: String?
    /// The ids of the messages it delivered that are still retained.
    var messages: [String]
    var transcriptEntries: Int
    var omittedTranscriptEntries: Int
    /// The labels of the rules that shaped the session, first fired first.
    var rulesFired: [String]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(listener, forKey: .listener)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(client, forKey: .client)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(endReason, forKey: .endReason)
        try container.encode(messages, forKey: .messages)
        try container.encode(transcriptEntries, forKey: .transcriptEntries)
        try container.encode(omittedTranscriptEntries, forKey: .omittedTranscriptEntries)
        try container.encode(rulesFired, forKey: .rulesFired)
    }

    private enum CodingKeys: String, CodingKey {
        case id, listener, scenario, client, startedAt, endedAt, endReason, messages, transcriptEntries
        case omittedTranscriptEntries, rulesFired
    }
}
