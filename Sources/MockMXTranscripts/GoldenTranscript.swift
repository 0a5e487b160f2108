import Foundation

/// Two session transcripts compared as dialogues (`mockmx diff`): the client's commands and the host's
/// replies in order. Unless asked, what differs from run to run is masked first — the session's and its
/// messages' ids, queue ids in replies, dates, SIZE values and content sizes — and times are not compared.
/// Pure: it reads session JSON (the shape of `GET /api/v1/sessions/{id}`) and returns text.
public enum GoldenTranscript {
    public struct Options: Sendable, Equatable {
        /// Compare the texts as recorded, nothing masked.
        public var exact = false
        /// Compare the notes too (rules firing, upstream replies, messages stored).
        public var notes = false
        /// Compare when each matched line came, relative to the session's first entry, within this many ms.
        public var timingToleranceMilliseconds: Int?

        public init(exact: Bool = false, notes: Bool = false, timingToleranceMilliseconds: Int? = nil) {
            self.exact = exact
            self.notes = notes
            self.timingToleranceMilliseconds = timingToleranceMilliseconds
        }
    }

    /// One line of a dialogue: `C` client, `S` host, `N` note; `offset` in ms from the session's first entry.
    public struct Line: Sendable, Equatable {
        public var side: Character
        public var text: String
        public var offset: Int

        public init(side: Character, text: String, offset: Int = 0) {
            self.side = side
            self.text = text
            self.offset = offset
        }
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The dialogue of a session JSON document, masked unless `options.exact`.
    public static func dialogue(sessionJSON data: Data, options: Options = Options()) throws(Failure) -> [Line] {
        guard let object = try? JSONSerialization.jsonObject(with: data), let session = object as? [String: Any] else {
            throw Failure(description: "not a JSON object")
        }
        guard let transcript = session["transcript"] as? [[String: Any]] else {
            throw Failure(description: "no \"transcript\" list (a session as GET /api/v1/sessions/{id} gives it)")
        }
        let ids = ([session["id"] as? String] + ((session["messages"] as? [Any]) ?? []).map { $0 as? String })
            .compactMap { $0 }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        var lines: [Line] = []
        var start: Date?
        for (index, entry) in transcript.enumerated() {
            guard let direction = entry["direction"] as? String, let text = entry["text"] as? String else {
                throw Failure(description: "transcript entry \(index) has no \"direction\" and \"text\"")
            }
            let time = (entry["time"] as? String).flatMap(parseTime)
            if start == nil { start = time }
            let side: Character
            switch direction {
            case "client": side = "C"
            case "server": side = "S"
            case "note" where options.notes: side = "N"
            default: continue
            }
            let offset = time.flatMap { time in start.map { Int((time.timeIntervalSince($0) * 1000).rounded()) } } ?? 0
            lines.append(Line(side: side, text: options.exact ? text : mask(text, ids: ids), offset: offset))
        }
        return lines
    }

    /// The differences as text (`-` only in A, `+` only in B, `~` same line at another time), nil when none.
    public static func difference(
        _ a: [Line], _ b: [Line], labels: (String, String), options: Options = Options()
    ) -> String? {
        var out = "--- \(labels.0)\n+++ \(labels.1)\n"
        var differs = false
        for step in align(a, b) {
            switch step {
            case .same(let i, let j):
                let line = a[i]
                if let tolerance = options.timingToleranceMilliseconds, abs(line.offset - b[j].offset) > tolerance {
                    differs = true
                    out += "~ \(line.side): \(line.text)   (at +\(b[j].offset) ms, was +\(line.offset) ms)\n"
                } else {
                    out += "  \(line.side): \(line.text)\n"
                }
            case .onlyA(let i):
                differs = true
                out += "- \(a[i].side): \(a[i].text)\n"
            case .onlyB(let j):
                differs = true
                out += "+ \(b[j].side): \(b[j].text)\n"
            }
        }
        return differs ? out : nil
    }

    enum Step: Equatable {
        case same(Int, Int)
        case onlyA(Int)
        case onlyB(Int)
    }

    /// A longest common subsequence of sides and texts; transcripts are bounded (2,000 entries by default).
    static func align(_ a: [Line], _ b: [Line]) -> [Step] {
        let n = a.count, m = b.count
        var table = [Int](repeating: 0, count: (n + 1) * (m + 1))
        func at(_ i: Int, _ j: Int) -> Int { i * (m + 1) + j }
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    table[at(i, j)] = a[i].side == b[j].side && a[i].text == b[j].text
                        ? table[at(i + 1, j + 1)] + 1 : max(table[at(i + 1, j)], table[at(i, j + 1)])
                }
            }
        }
        var steps: [Step] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i].side == b[j].side, a[i].text == b[j].text {
                steps.append(.same(i, j))
                i += 1
                j += 1
            } else if j < m, i == n || table[at(i, j + 1)] > table[at(i + 1, j)] {
                steps.append(.onlyB(j))
                j += 1
            } else {
                steps.append(.onlyA(i))
                i += 1
            }
        }
        return steps
    }

    private nonisolated(unsafe) static let maskPatterns: [(NSRegularExpression, String)] = [
        // RFC 5322 dates, ISO 8601 times, clock times.
        (#"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})?(?: [+-]\d{4}| [A-Z]{1,5})?"#, "<date>"),
        (#"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"#, "<date>"),
        (#"\b\d{2}:\d{2}:\d{2}\b"#, "<time>"),
        // Queue ids in replies: Postfix, Exim, Exchange, mockmx.
        (#"(?i)(queued as|id=|message accepted for delivery:?|InternalId=)\s*[^\s<>;]+"#, "$1 <id>"),
        (#"(?i)\bSIZE=\d+"#, "SIZE=<n>"),
        (#"^<\d+ bytes of message content>$"#, "<message content>"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    /// `text` with run-dependent parts replaced by placeholders.
    public static func mask(_ text: String, ids: [String] = []) -> String {
        var text = text
        for id in ids { text = text.replacingOccurrences(of: id, with: "<id>") }
        for (pattern, template) in maskPatterns {
            text = pattern.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
        }
        return text
    }

    private static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
