/// Verdicts as JUnit XML (the Ant/Jenkins schema, `docs/junit.xsd`), so any CI shows them: one test suite per
/// check, one test case per client × message (or session). A failed error-severity verdict is a `<failure>`;
/// a failed warning is one only with `warningsFail`, else it is reported in the suite's `<system-out>`.
public enum JUnitReport {
    public static func render(_ report: VerdictReport, warningsFail: Bool = false) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
        // A check some client's card shows as not exercised is a suite too: skipped, the reason in <system-out>.
        let unexercised = Dictionary(grouping: report.cards.flatMap { card in
            card.checks.filter { $0.result == ClientCard.notExercised }.map { (card.client, $0) }
        }, by: \.1.check)
        let checks = VerdictCheck.allCases.filter { check in
            report.verdicts.contains { $0.check == check.rawValue } || unexercised[check.rawValue] != nil
        }
        let started = timestamp(report.verdicts)
        for (id, check) in checks.map(\.rawValue).enumerated() {
            let verdicts = report.verdicts.filter { $0.check == check }
            let skipped = unexercised[check] ?? []
            let failures = verdicts.filter { isFailure($0, warningsFail: warningsFail) }.count
            xml += "  <testsuite package=\"mockmx\" id=\"\(id)\" name=\"\(escape(check))\" "
                + "timestamp=\"\(verdicts.isEmpty ? started : timestamp(verdicts))\" hostname=\"mockmx\" "
                + "tests=\"\(verdicts.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped.count)\" time=\"0\">\n"
            xml += "    <properties>\n      <property name=\"reference\" value=\"\(escape(checks[id].reference))\"/>\n"
                + "    </properties>\n"
            var systemOut = skipped.map { "not exercised for \($0.0): \($0.1.reason ?? "")\n" }.joined()
            for verdict in verdicts {
                let name = "\(verdict.client) \(verdict.message ?? verdict.sessions.joined(separator: ","))"
                xml += "    <testcase name=\"\(escape(name))\" classname=\"mockmx.\(escape(check))\" time=\"0\""
                if isFailure(verdict, warningsFail: warningsFail) {
                    xml += ">\n      <failure message=\"\(escape(verdict.explanation))\" type=\"\(verdict.severity.rawValue)\">"
                    xml += escape(excerpt(verdict)) + "</failure>\n    </testcase>\n"
                } else {
                    xml += "/>\n"
                    if verdict.result != .pass {
                        systemOut += "\(verdict.result.rawValue) (\(verdict.severity.rawValue)): \(name): "
                            + "\(verdict.explanation)\n" + excerpt(verdict)
                    }
                }
            }
            xml += "    <system-out>\(escape(systemOut))</system-out>\n    <system-err></system-err>\n  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    private static func isFailure(_ verdict: Verdict, warningsFail: Bool) -> Bool {
        verdict.result == .fail && (verdict.severity == .error || warningsFail)
    }

    /// The explanation's evidence: `S00001#3 2026-12-01T21:50:00.123456Z MAIL FROM:<a@b>` per line.
    static func excerpt(_ verdict: Verdict) -> String {
        verdict.evidence.map { "\($0.session)#\($0.entry) \($0.time) \($0.text)\n" }.joined()
    }

    /// The earliest evidence time without fraction or zone (`xs:dateTime` without a zone, as the schema wants).
    private static func timestamp(_ verdicts: [Verdict]) -> String {
        let first = verdicts.flatMap(\.evidence).map(\.time).min() ?? "1970-01-01T00:00:00Z"
        return String(first.prefix(19))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            // XML 1.0 has no way to write other control characters.
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
