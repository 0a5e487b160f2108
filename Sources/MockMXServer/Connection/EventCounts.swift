import MockMXScenario

/// How often each event happened: in the session (`nth:`) and in the current transaction (`nth-in-message:`).
/// A handful of names per session, so one list looked up once per event costs less than dictionaries; the
/// names that bound a transaction are recognized once, when they first occur.
struct EventCounts {
    private enum Boundary {
        case none
        /// MAIL starts a transaction, RSET and HELO/EHLO abort one (RFC 5321 §4.1.4).
        case starts
        /// The end of data ends one.
        case ends
    }

    /// Names of up to 8 bytes are found by their packed integer (``ScenarioEvent/packed(_:lowerCasing:)``);
    /// comparing `String`s cost more than the rest of the count.
    private var counts: [(key: UInt64, event: String, session: Int, message: Int, boundary: Boundary)] = []

    /// Counts one more `event`; returns its 1-based occurrence in the session and in the transaction.
    mutating func count(_ event: String) -> (session: Int, message: Int) {
        let key = ScenarioEvent.packed(event)
        let found = key != 0 ? counts.firstIndex { $0.key == key } : counts.firstIndex { $0.event == event }
        guard let index = found else {
            let boundary = EventCounts.boundary(of: event)
            if boundary == .starts { resetMessageCounts() }
            counts.append((key, event, 1, 1, boundary))
            if boundary == .ends { resetMessageCounts() }
            return (1, 1)
        }
        let boundary = counts[index].boundary
        if boundary == .starts { resetMessageCounts() }
        counts[index].session += 1
        counts[index].message += 1
        let counted = (counts[index].session, counts[index].message)
        if boundary == .ends { resetMessageCounts() }
        return counted
    }

    private mutating func resetMessageCounts() {
        for index in counts.indices { counts[index].message = 0 }
    }

    private static func boundary(of event: String) -> Boundary {
        switch event {
        case ScenarioEvent.mail, ScenarioEvent.rset, ScenarioEvent.helo, ScenarioEvent.ehlo, ScenarioEvent.lhlo: .starts
        case ScenarioEvent.dataEnd, ScenarioEvent.bdatLast: .ends
        default: .none
        }
    }
}
