import Foundation
import MockMXVerdicts

extension MockMXHost {
    /// Every retained session in the one JSON shape, oldest first.
    public var recordedSessions: [RecordedSession] {
        LiveVerdicts.recorded(sessions)
    }

    /// The judgment of the senders under test on the retained sessions, now: `host.verdicts.summary.fail == 0`.
    public var verdicts: VerdictReport {
        LiveVerdicts.judge(sessions, messages)
    }
}

/// The verdicts on a running host's stores: what `host.verdicts` and `GET /api/v1/verdicts` give.
enum LiveVerdicts {
    static func recorded(_ sessions: SessionStore) -> [RecordedSession] {
        sessions.all.map { $0.recorded() }
    }

    /// Duplicates are told by the retained messages' Message-IDs, read only now, never on the message path.
    static func judge(_ sessions: SessionStore, _ messages: MessageStore) -> VerdictReport {
        let identities = messages.all.compactMap { message in
            MessageIdentity.messageID(in: message.content).map { (message.id, $0) }
        }
        return VerdictEngine().judge(
            recorded(sessions), now: Date().timeIntervalSince1970,
            messageIDs: Dictionary(identities, uniquingKeysWith: { first, _ in first }))
    }
}
