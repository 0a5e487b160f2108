import Foundation

/// `/api/v1/sessions…`: who connected, what was said, how it ended.
extension ControlAPI {
    /// Every retained session without its transcript (`transcriptEntries` counts it); `started` and `ended`
    /// count every session since start or the last reset, including those retention dropped.
    func listSessions() -> APIResponse {
        let sessions = runtime.sessions.all
        let messageIDs = messageIDsBySession()
        return .json([
            "total": sessions.count,
            "started": runtime.sessions.totalStarted,
            "ended": runtime.sessions.totalEnded,
            "sessions": sessions.map { summary($0, messageIDs: messageIDs[$0.id] ?? []) },
        ])
    }

    /// One session with its full transcript: `[{time, direction, text, rule}]`.
    func session(_ id: String) -> APIResponse {
        guard let session = runtime.sessions.session(id: id) else {
            return .error(404, "no session with id '\(id)' (it may have been reset or dropped by retention)")
        }
        var document = summary(session, messageIDs: messageIDsBySession()[id] ?? [])
        document["transcript"] = session.transcript.map { entry -> [String: Any] in
            [
                "time": ISO8601.string(entry.time),
                "direction": entry.direction.rawValue,
                "text": entry.text,
                "rule": entry.rule as Any? ?? NSNull(),
            ]
        }
        return .json(document)
    }

    private func summary(_ session: SessionRecord, messageIDs: [String]) -> [String: Any] {
        let ended = session.ended
        return [
            "id": session.id,
            "listener": session.listener,
            "scenario": session.scenario,
            "client": session.clientAddress,
            "startedAt": ISO8601.string(session.startedAt),
            "endedAt": ended.map { ISO8601.string($0.at) } as Any? ?? NSNull(),
            "endReason": ended.map(\.reason.rawValue) as Any? ?? NSNull(),
            "messages": messageIDs,
            "transcriptEntries": session.transcript.count,
            "omittedTranscriptEntries": session.omittedEntryCount,
        ]
    }

    private func messageIDsBySession() -> [String: [String]] {
        Dictionary(grouping: runtime.messages.all, by: \.sessionID).mapValues { $0.map(\.id) }
    }
}
