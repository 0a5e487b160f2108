/// The Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then one sample a line.
struct PrometheusText {
    enum Kind: String {
        case counter, gauge
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var text = ""

    mutating func add(_ name: String, _ kind: Kind, help: String, value: Int) {
        add(name, kind, help: help, samples: [([], value)])
    }

    /// A metric family; with no samples only its description is written, which is valid and tells a
    /// reader the metric exists.
    mutating func add(_ name: String, _ kind: Kind, help: String, samples: [(labels: [(String, String)], value: Int)]) {
        text += "# HELP \(name) \(PrometheusText.escape(help, quotes: false))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            let labels = sample.labels.map { "\($0.0)=\"\(PrometheusText.escape($0.1, quotes: true))\"" }
            text += labels.isEmpty ? name : "\(name){\(labels.joined(separator: ","))}"
            text += " \(sample.value)\n"
        }
    }

    /// Backslash and line feed are escaped everywhere, the double quote inside label values.
    static func escape(_ value: String, quotes: Bool) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quotes: escaped += "\\\""
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
