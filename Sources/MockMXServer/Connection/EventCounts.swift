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

    /// Side by side, so that finding an event's index is a loop over integers: names of up to 8 bytes by
    /// their packed form (``EventName/packed``), longer ones (packed 0) by their text. Comparing `String`s
    /// cost more than the rest of the count.
    private var keys: [UInt64] = []
    private var names: [String] = []
    private var sessionCounts: [Int] = []
    private var messageCounts: [Int] = []
    private var boundaries: [Boundary] = []

    /// Counts one more `event`; returns its 1-based occurrence in the session and in the transaction.
    mutating func count(_ event: EventName) -> (session: Int, message: Int) {
        let found = event.packed != 0 ? keys.firstIndex(of: event.packed) : names.firstIndex(of: event.text)
        let index: Int
        if let found {
            index = found
        } else {
            index = keys.count
            keys.append(event.packed)
            names.append(event.text)
            sessionCounts.append(0)
            messageCounts.append(0)
            boundaries.append(EventCounts.boundary(of: event))
        }
        let boundary = boundaries[index]
        if boundary == .starts { resetMessageCounts() }
        sessionCounts[index] += 1
        messageCounts[index] += 1
        let counted = (sessionCounts[index], messageCounts[index])
        if boundary == .ends { resetMessageCounts() }
        return counted
    }

    /// An event no rule counts: only whether it starts or ends a transaction matters, which restarts the
    /// counts in the message.
    mutating func pass(_ event: EventName) {
        if EventCounts.boundary(of: event) != .none { resetMessageCounts() }
    }

    private mutating func resetMessageCounts() {
        for index in messageCounts.indices { messageCounts[index] = 0 }
    }

    private static let starting = [ScenarioEvent.mail, ScenarioEvent.rset, ScenarioEvent.helo, ScenarioEvent.ehlo,
                                   ScenarioEvent.lhlo].map { ScenarioEvent.packed($0) }
    private static let endingKey = ScenarioEvent.packed(ScenarioEvent.dataEnd)

    private static func boundary(of event: EventName) -> Boundary {
        // `bdat.last` is longer than a packed name.
        if event.packed == 0 { return event.text == ScenarioEvent.bdatLast ? .ends : .none }
        if starting.contains(event.packed) { return .starts }
        return event.packed == endingKey ? .ends : .none
    }
}
