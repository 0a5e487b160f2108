/// Verdicts for a person in a terminal: one line per verdict (result, check, client, what it concerns, why),
/// the evidence lines of each failure beneath it, then each client's report card (every check, and why those
/// without a verdict were not exercised), and the summary last.
public enum ReportCard {
    public static func render(_ report: VerdictReport) -> String {
        var text = ""
        for verdict in report.verdicts {
            let result = verdict.result == .fail && verdict.severity == .warning ? "WARN" : verdict.result.rawValue.uppercased()
            let concerns = verdict.message ?? verdict.sessions.joined(separator: ",")
            text += pad(result, 13) + pad(verdict.check, 34) + verdict.client + " " + concerns + "\n"
            text += String(repeating: " ", count: 13) + verdict.explanation + " (" + verdict.reference + ")\n"
            if verdict.result != .pass {
                for evidence in verdict.evidence {
                    text += String(repeating: " ", count: 15) + "\(evidence.session)#\(evidence.entry) "
                        + "\(evidence.time.dropFirst(11).prefix(15)) \(evidence.text)\n"
                }
            }
        }
        for card in report.cards {
            text += "\nreport card for \(card.client): \(card.summary.line)\n"
            for entry in card.checks {
                let result = entry.result == ClientCard.notExercised ? "-" : entry.result.uppercased()
                let count = entry.verdicts == 1 ? "1 verdict" : "\(entry.verdicts) verdicts"
                text += "  " + pad(result, 13) + pad(entry.check, 34)
                    + (entry.reason.map { "not exercised: " + $0 } ?? count) + "\n"
            }
        }
        return text + "verdicts: \(report.summary.line)\n"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
