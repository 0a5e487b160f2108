import Foundation

/// Turns the transcripts of proxied sessions (`mockmx record`) into a scenario that plays the upstream's
/// persona without it: its greeting, hostname and EHLO list verbatim, the reply each command got (every
/// line, codes and enhanced codes as sent) and the median delay before it. A command whose replies
/// depended on its arguments (a refused recipient) gets a rule for each such argument before the rule
/// with its most frequent reply. Pure: entries in, YAML text out.
public enum ScenarioRecorder {
    /// A transcript entry as the recorder reads it (`direction` as in the session JSON).
    public struct Entry: Sendable {
        public var direction: String
        public var text: String
        public var time: Date

        public init(direction: String, text: String, time: Date) {
            self.direction = direction
            self.text = text
            self.time = time
        }
    }

    /// One command (or the connection, or the end of data) and the upstream's reply to it.
    struct Exchange: Equatable {
        var event: String
        var arguments: String
        var lines: [String]
        var delayMilliseconds: Int
    }

    /// The prefix of the notes in which the proxy records each line the upstream sent.
    static let upstreamPrefix = "upstream said: "
    private static let knownVerbs: Set<String> = [
        "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
    ]

    /// The exchanges of one session, in order.
    static func exchanges(_ entries: [Entry]) -> [Exchange] {
        var result: [Exchange] = []
        guard let start = entries.first?.time else { return result }
        var command: (text: String, time: Date)?
        var inContent = false
        var reply: [String] = []
        for entry in entries {
            if entry.direction == "client" {
                if !inContent {
                    command = (entry.text, entry.time)
                } else if entry.text == "." {
                    command = (".", entry.time)
                }
                continue
            }
            guard entry.direction == "note", entry.text.hasPrefix(upstreamPrefix) else { continue }
            let line = String(entry.text.dropFirst(upstreamPrefix.count))
            reply.append(line)
            guard line.utf8.count < 4 || line.utf8[line.utf8.index(line.utf8.startIndex, offsetBy: 3)] != UInt8(ascii: "-")
            else { continue }
            let (event, arguments) = command.map { name(of: $0.text, afterContent: inContent) } ?? ("connect", "")
            let since = command?.time ?? start
            let delay = max(0, Int((entry.time.timeIntervalSince(since) * 1000).rounded()))
            result.append(Exchange(event: event, arguments: arguments, lines: reply, delayMilliseconds: delay))
            if event == "data" { inContent = line.hasPrefix("354") }
            if event == "data.end" { inContent = false }
            reply = []
        }
        return result
    }

    private static func name(of command: String, afterContent: Bool) -> (String, String) {
        if afterContent, command == "." { return ("data.end", "") }
        let verb = String(command.prefix { $0 != " " })
        let arguments = command.count > verb.count ? String(command.dropFirst(verb.count + 1)) : ""
        let upper = verb.uppercased()
        return (knownVerbs.contains(upper) ? upper.lowercased() : "verb:" + upper, arguments)
    }

    /// The scenario, as YAML; nil when no session reached the upstream's greeting.
    public static func scenario(from sessions: [[Entry]], upstream: String) -> String? {
        let all = sessions.map(exchanges).flatMap { $0 }
        guard let greeting = all.first(where: { $0.event == "connect" }) else { return nil }
        let ehlo = all.first { $0.event == "ehlo" && $0.lines.first?.hasPrefix("250") == true }
        let ehloFirst = ehlo.map { text(of: $0.lines[0]) }
        let hostname = (ehloFirst ?? text(of: greeting.lines[0])).split(separator: " ").first.map(String.init)
            ?? "recorded.test"
        var yaml = "summary: \(quoted("Recorded from \(upstream) by mockmx record (\(sessions.count) session(s))."))\n"
        yaml += "host:\n  hostname: \(quoted(hostname))\n  greeting: \(replyValue(greeting.lines, indent: 4))\n"
        if let ehlo {
            let keywords = ehlo.lines.dropFirst().map(text(of:))
            yaml += "  extensions: [\(keywords.map(quoted).joined(separator: ", "))]\n"
        }
        var rules: [String] = []
        if let connectDelay = median(all.filter { $0.event == "connect" }.map(\.delayMilliseconds)), connectDelay >= 2 {
            rules.append(rule(on: "connect", when: nil, lines: nil, delay: connectDelay))
        }
        if let ehlo, ehloFirst != hostname {
            // The first line is not the bare hostname the host would put there: the whole reply, as sent.
            rules.append(rule(on: "ehlo", when: nil, lines: ehlo.lines, delay: delay(all, "ehlo", ehlo.lines)))
        }
        var events: [String] = []
        for exchange in all where !["connect", "ehlo"].contains(exchange.event) && !events.contains(exchange.event) {
            events.append(exchange.event)
        }
        for event in events {
            let seen = all.filter { $0.event == event }
            // The most frequent reply answers the event; the others, only the arguments that got them.
            var counts: [[String]: Int] = [:]
            for exchange in seen { counts[exchange.lines, default: 0] += 1 }
            let common = seen.map(\.lines).max { counts[$0]! < counts[$1]! }!
            let conditional = event != "data.end"
            var handled: Set<String> = []
            for exchange in seen where exchange.lines != common && conditional && !handled.contains(exchange.arguments) {
                handled.insert(exchange.arguments)
                let when = "{args: \(quoted("^" + escapedRegex(exchange.arguments) + "$"))}"
                rules.append(rule(on: event, when: when, lines: exchange.lines, delay: delay(all, event, exchange.lines)))
            }
            rules.append(rule(on: event, when: nil, lines: common, delay: delay(all, event, common)))
        }
        if !rules.isEmpty { yaml += "rules:\n" + rules.joined() }
        return yaml
    }

    private static func rule(on event: String, when: String?, lines: [String]?, delay: Int?) -> String {
        let on = event.hasPrefix("verb:") ? "{verb: \(quoted(String(event.dropFirst(5))))}" : event
        var text = "  - on: \(on)\n"
        if let when { text += "    when: \(when)\n" }
        var actions: [String] = []
        if let delay, delay >= 2 { actions.append("      - delay: \(delay)ms\n") }
        if let lines {
            actions.append("      - reply: \(replyValue(lines, indent: 10))\n")
        } else {
            actions.append("      - default\n")
        }
        return text + "    do:\n" + actions.joined()
    }

    private static func delay(_ all: [Exchange], _ event: String, _ lines: [String]) -> Int? {
        median(all.filter { $0.event == event && $0.lines == lines }.map(\.delayMilliseconds))
    }

    static func median(_ values: [Int]) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// A reply's text after its code and separator.
    private static func text(of line: String) -> String {
        String(line.dropFirst(min(4, line.count)))
    }

    /// One line as a string, several as a flow list — each line verbatim, code included.
    private static func replyValue(_ lines: [String], indent: Int) -> String {
        guard lines.count > 1 else { return quoted(lines[0]) }
        let pad = String(repeating: " ", count: indent)
        return "\n" + lines.map { pad + "- " + quoted($0) }.joined(separator: "\n")
    }

    /// A double-quoted YAML string: backslashes, quotes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += String(format: "\\x%02X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// POSIX extended regular expression matching `text` literally.
    static func escapedRegex(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\.[]()*+?{}|^$".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
