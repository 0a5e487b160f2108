/// How often each event happened (`nth:` in a session, `nth-in-message:` in a transaction): a handful of
/// names, so a list costs less memory and time than a dictionary.
struct EventCounts {
    private var counts: [(event: String, count: Int)] = []

    /// Counts one more `event`; returns its 1-based occurrence.
    mutating func count(_ event: String) -> Int {
        if let index = counts.firstIndex(where: { $0.event == event }) {
            counts[index].count += 1
            return counts[index].count
        }
        counts.append((event, 1))
        return 1
    }

    mutating func reset() {
        counts.removeAll(keepingCapacity: true)
    }
}
