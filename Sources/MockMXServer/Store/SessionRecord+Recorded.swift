import Foundation
import MockMXVerdicts

extension SessionRecord {
    /// The session in the one JSON shape (`"format": 1`): the API's session detail, the spool's session files
    /// and what the verdict engine reads. Times carry microseconds, so the order of a client line and the
    /// reply it had to wait for shows even on loopback.
    public func recorded() -> RecordedSession {
        let ended = self.ended
        return RecordedSession(
            id: id, listener: listener, scenario: scenario, client: clientAddress,
            startedAt: SessionTime.format(startedAt), endedAt: ended.map { SessionTime.format($0.at) },
            endReason: ended?.reason.rawValue, messages: messageIDs, omittedTranscriptEntries: omittedEntryCount,
            rulesFired: rulesFired,
            transcript: transcript.map {
                RecordedSession.Entry(
                    time: SessionTime.format($0.time), direction: $0.direction.rawValue, text: $0.text, rule: $0.rule)
            })
    }
}

extension SessionTime {
    static func format(_ date: Date) -> String {
        format(secondsSince1970: date.timeIntervalSince1970)
    }
}
