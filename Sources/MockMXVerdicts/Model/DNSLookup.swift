import Foundation

/// One question mockmx's DNS responder was asked: what `GET /api/v1/dns` lists and a spool's `dns.jsonl` holds
/// (one per line), so the MX checks judge the same lookups live and offline.
public struct DNSLookup: Codable, Sendable, Equatable {
    /// ISO 8601, when the question arrived.
    public var time: String
    /// The asking resolver's address.
    public var client: String
    public var name: String
    /// `A`, `AAAA`, `MX`, …
    public var type: String
    /// `NOERROR`, `NXDOMAIN`, …; nil when no reply was sent.
    public var rcode: String?
    /// The answer records as dig prints their data: `10 mx1.example.test.`, `127.0.0.2`.
    public var answers: [String]

    public init(time: String, client: String, name: String, type: String, rcode: String?, answers: [String]) {
        self.time = time
        self.client = client
        self.name = name
        self.type = type
        self.rcode = rcode
        self.answers = answers
    }

    /// Every key, `rcode: null` included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encode(client, forKey: .client)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(rcode, forKey: .rcode)
        try container.encode(answers, forKey: .answers)
    }

    private enum CodingKeys: String, CodingKey {
        case time, client, name, type, rcode, answers
    }

    /// A line of a DNS log that is not a lookup: its number (from 1) and why.
    public struct LineError: Error {
        public var line: Int
        public var error: any Error
    }

    /// The lookups of a DNS log (`dns.jsonl`: one JSON object per line; blank lines are skipped), in order.
    public static func lines(_ data: some Collection<UInt8>) throws(LineError) -> [DNSLookup] {
        let decoder = JSONDecoder()
        var lookups: [DNSLookup] = []
        for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            do {
                lookups.append(try decoder.decode(DNSLookup.self, from: Data(line)))
            } catch {
                throw LineError(line: number + 1, error: error)
            }
        }
        return lookups
    }

    /// The name without case or trailing dot, as names compare.
    static func normalized(_ name: some StringProtocol) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") && lower.count > 1 ? String(lower.dropLast()) : lower
    }

    /// How a verdict's evidence shows the lookup: `session` is `dns`, `entry` its index in the lookups judged.
    func evidence(_ index: Int) -> Verdict.Evidence {
        Verdict.Evidence(
            session: "dns", entry: index, time: time,
            text: "\(type) \(name) -> \(rcode ?? "no answer")" + answers.map { " " + $0 }.joined())
    }
}
