import Foundation
import MockMXDNS

/// One question the DNS responder was asked and what it did about it.
public struct DNSQueryRecord: Sendable, Equatable {
    /// When the question arrived.
    public var time: Date
    /// The asking resolver's address.
    public var client: String
    /// The name as asked (case kept; compared without it).
    public var name: String
    /// `A`, `MX`, `TYPE65`, …
    public var type: String
    /// `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, `FORMERR`; nil when no reply was sent (`no-answer`).
    public var responseCode: String?
    /// The answer records as dig prints their data: `10 mx1.example.test.`, `127.0.0.2`.
    public var answers: [String]
}

/// The questions asked of the DNS responder, oldest first, bounded like the session store; the API lists them
/// beside the sessions so a test can tell which MX a sender looked up before it connected.
public final class DNSQueryLog: @unchecked Sendable {
    private let lock = NSLock()
    private var queries = RetentionQueue<DNSQueryRecord>()
    private let retention: Int
    private var acceptedTotal = 0

    init(retention: Int) {
        self.retention = retention
    }

    func append(_ query: DNSQueryRecord) {
        lock.lock()
        queries.append(query)
        if queries.count > retention { queries.removeFirst() }
        acceptedTotal += 1
        lock.unlock()
    }

    /// Retained queries, oldest first.
    public var all: [DNSQueryRecord] {
        lock.lock()
        defer { lock.unlock() }
        return queries.elements
    }

    /// Questions asked since start or the last reset, those retention dropped included.
    public var totalAccepted: Int {
        lock.lock()
        defer { lock.unlock() }
        return acceptedTotal
    }

    func removeAll() {
        lock.lock()
        queries.removeAll()
        acceptedTotal = 0
        lock.unlock()
    }
}
