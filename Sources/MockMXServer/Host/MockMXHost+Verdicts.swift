import Foundation
import MockMXVerdicts

extension MockMXHost {
    /// Every retained session in the one JSON shape, oldest first.
    public var recordedSessions: [RecordedSession] {
        let messageIDs = Dictionary(grouping: messages.all, by: \.sessionID).mapValues { $0.map(\.id) }
        return sessions.all.map { $0.recorded(messages: messageIDs[$0.id] ?? []) }
    }

    /// The judgment of the senders under test on the retained sessions, now: `host.verdicts.summary.fail == 0`.
    public var verdicts: VerdictReport {
        VerdictEngine()
            .judge(recordedSessions, now: Date().timeIntervalSince1970)
    }
}
