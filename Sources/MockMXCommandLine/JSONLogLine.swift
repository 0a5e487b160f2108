import Foundation
import SMTPProtocol

/// One line of `--log-format json`: an object whose keys keep the order they were added in (`time` and `event`
/// first, for people who read the raw stream too), with nil values left out.
public struct JSONLogLine: Sendable, Equatable {
    private var fields: [String] = []

    /// Starts `{"time":…,"event":…`; the time in UTC with milliseconds.
    public init(event: String, time: Date = Date()) {
        add("time", time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        add("event", event)
    }

    /// A transcript entry. Server lines carry their reply `code`, so a platform can count `4xx` without
    /// parsing text.
    public static func transcript(
        time: Date, session: String, listener: String, scenario: String, direction: String, text: String,
        rule: String?
    ) -> JSONLogLine {
        var line = JSONLogLine(event: "transcript", time: time)
        line.add("session", session)
        line.add("listener", listener)
        line.add("scenario", scenario)
        line.add("direction", direction)
        line.add("text", text)
        if direction == "server" { line.add("code", SMTPReply.leadingCode(text)) }
        line.add("rule", rule)
        return line
    }

    /// A question the DNS responder was asked; `rcode` is left out when it sent no reply.
    public static func dnsQuery(
        time: Date, client: String, name: String, type: String, rcode: String?, answers: [String]
    ) -> JSONLogLine {
        var line = JSONLogLine(event: "dns-query", time: time)
        line.add("client", client)
        line.add("name", name)
        line.add("type", type)
        line.add("rcode", rcode)
        line.add("answers", answers)
        return line
    }

    public mutating func add(_ key: String, _ value: [String]) {
        fields.append(JSONLogLine.quoted(key) + ":[" + value.map(JSONLogLine.quoted).joined(separator: ",") + "]")
    }

    public mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        fields.append(JSONLogLine.quoted(key) + ":" + JSONLogLine.quoted(value))
    }

    public mutating func add(_ key: String, _ value: Int?) {
        guard let value else { return }
        fields.append(JSONLogLine.quoted(key) + ":" + String(value))
    }

    public mutating func add(_ key: String, _ value: Bool) {
        fields.append(JSONLogLine.quoted(key) + ":" + (value ? "true" : "false"))
    }

    /// The object, without a newline.
    public var text: String { "{" + fields.joined(separator: ",") + "}" }

    /// RFC 8259 §7: quote, backslash and control characters escaped; everything else as UTF-8.
    static func quoted(_ text: String) -> String {
        var result = "\""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
