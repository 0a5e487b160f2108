import Foundation
import FuzzSupport
import MockMXVerdicts

/// The verdict engine fed arbitrary sessions: a spool's session file (JSON) when the input is one, else
/// transcript lines built from the bytes (`mockmx verdicts` reads files anyone may have written).
///
/// Input: one control byte (how the session ends, whether its lines are cut into two sessions of one
/// client), then lines: the first byte picks the direction, the second how many milliseconds after the line
/// before it the line happened (128 and up: before it — clocks and arrival times need not be monotonic),
/// the rest is the text. After a NUL byte, a DNS log as a spool's `dns.jsonl` holds it (for the MX checks).
///
/// Invariants: it never crashes; judging twice gives the same verdicts; the summary counts the verdicts; every
/// verdict names a known check with its reference and severity, a client and sessions that were judged; every
/// piece of evidence is a line of the session it names, with that line's time and text; the JUnit XML holds
/// no character XML 1.0 cannot carry.
enum VerdictsFuzzer {
    static let endReasons: [String?] = [
        "client-quit", "client-vanished", "timeout", nil, "closed-by-rule", "host-shutdown", "tls-failed",
        "protocol-close",
    ]
    static let directions = ["client", "server", "note", "host-received"]

    static func run(_ input: [UInt8]) {
        let parts = input.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let data = Array(parts[0])
        let lookups = parts.count > 1 ? (try? DNSLookup.lines(parts[1])) ?? [] : []
        let sessions: [RecordedSession]
        if let session = try? JSONDecoder().decode(RecordedSession.self, from: Data(data)) {
            sessions = [session]
        } else {
            sessions = transcripts(data)
        }
        let report = VerdictEngine().judge(sessions, dnsLookups: lookups)
        invariant(VerdictEngine().judge(sessions, dnsLookups: lookups) == report, "two judgments of the same sessions")
        let summary = report.summary
        invariant(
            summary.pass + summary.fail + summary.pending + summary.inconclusive == report.verdicts.count,
            "the summary does not count the verdicts")
        let byID = Dictionary(sessions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for verdict in report.verdicts {
            let check = VerdictCheck(rawValue: verdict.check)
            invariant(check != nil, "unknown check \(verdict.check)")
            invariant(check?.reference == verdict.reference && check?.severity == verdict.severity, "\(verdict.check)")
            // A null MX left alone, or an MX lookup no session followed yet, concerns no session.
            invariant(
                (!verdict.sessions.isEmpty || verdict.check.hasPrefix("mx."))
                    && verdict.sessions.allSatisfy { byID[$0] != nil }, "sessions")
            invariant(
                sessions.contains { $0.client == verdict.client } || lookups.contains { $0.client == verdict.client },
                "a client nobody was")
            invariant(!verdict.explanation.isEmpty, "a verdict without explanation")
            // DNS evidence names the lookup (`session` "dns", `entry` its index); a session may be called "dns" too.
            let isLookup = { (evidence: Verdict.Evidence) in
                evidence.session == "dns" && verdict.check.hasPrefix("mx.") && evidence.text.hasPrefix(
                    lookups.indices.contains(evidence.entry) ? lookups[evidence.entry].type + " " : "\u{0}")
            }
            for evidence in verdict.evidence where isLookup(evidence) {
                invariant(
                    evidence.entry >= 0 && evidence.entry < lookups.count && lookups[evidence.entry].time == evidence.time,
                    "DNS evidence that is not its lookup")
            }
            for evidence in verdict.evidence where !isLookup(evidence) {
                let transcript = byID[evidence.session]?.transcript ?? []
                invariant(evidence.entry >= 0 && evidence.entry < transcript.count, "evidence beyond its transcript")
                invariant(
                    transcript[evidence.entry].text == evidence.text && transcript[evidence.entry].time == evidence.time,
                    "evidence that is not its line")
            }
        }
        invariant(report.cards.allSatisfy { $0.checks.count == VerdictCheck.allCases.count }, "a card without every check")
        let xml = JUnitReport.render(report, warningsFail: data.first.map { $0 & 0x80 != 0 } ?? false)
        invariant(
            !xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" },
            "a control character in the JUnit XML")
    }

    static func transcripts(_ data: [UInt8]) -> [RecordedSession] {
        var input = FuzzInput(data)
        let control = input.byte()
        let lines = input.rest().split(separator: 0x0A, omittingEmptySubsequences: false)
        var time = 1_800_000_000.0
        var entries: [RecordedSession.Entry] = []
        for line in lines {
            let bytes = Array(line)
            let direction = directions[Int(bytes.first ?? 0) % directions.count]
            let step = bytes.count > 1 ? Int(bytes[1]) : 0
            time += Double(step < 128 ? step : 128 - step) / 1000
            let text = String(decoding: bytes.dropFirst(2), as: UTF8.self)
            entries.append(.init(time: SessionTime.format(secondsSince1970: time), direction: direction, text: text))
        }
        let end = endReasons[Int(control) % endReasons.count]
        let split = control & 0x08 != 0 ? entries.count / 2 : 0
        let parts = split == 0 ? [entries[...]] : [entries[..<split], entries[split...]]
        return parts.enumerated().map { index, part in
            RecordedSession(
                id: "S0000\(index + 1)", listener: "127.0.0.1:2525", scenario: "default", client: "192.0.2.7",
                startedAt: part.first?.time ?? SessionTime.format(secondsSince1970: time),
                endedAt: end == nil ? nil : SessionTime.format(secondsSince1970: time + 1), endReason: end,
                transcript: Array(part))
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    VerdictsFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzVerdictsReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), VerdictsFuzzer.run)
    }
}
#endif
