import SMTPProtocol

/// The byte-level behaviour of an SMTP-inspecting middlebox, applied between client and host.
///
/// Like the real devices it follows the conversation on its own — command lines, DATA up to
/// `CRLF.CRLF`, counted XEXCH50/BDAT payloads — and rewrites what passes in place. Pure: the
/// transport feeds it what it reads and writes.
public struct FirewallFilter: Sendable {
    public let configuration: FirewallConfiguration

    private enum Mode: Sendable {
        case commands
        /// DATA content; `tail` holds the last bytes seen, to find `CRLF.CRLF` across reads.
        case data(tail: [UInt8])
        /// A counted payload passes untouched.
        case payload(remaining: Int)
        /// Everything from the client is dropped from here on.
        case swallowing
    }

    private var mode = Mode.commands
    private var partialLine: [UInt8] = []
    private var recipients = 0
    private var maskLetter = UInt8(ascii: "A")

    /// What the host gets from one read of client bytes.
    public struct Inbound: Sendable, Equatable {
        /// The bytes passed on to the host.
        public var bytes: [UInt8] = []
        /// Complete command lines as the client sent them, and as the host receives them when changed.
        public var commandLines: [(sent: [UInt8], passed: [UInt8]?)] = []
        /// What the firewall did besides passing bytes (for the transcript).
        public var notes: [String] = []
        /// Set when the firewall drops the connection.
        public var dropReason: String?

        public static func == (lhs: Inbound, rhs: Inbound) -> Bool {
            lhs.bytes == rhs.bytes && lhs.notes == rhs.notes && lhs.dropReason == rhs.dropReason
                && lhs.commandLines.map(\.sent) == rhs.commandLines.map(\.sent)
                && lhs.commandLines.map(\.passed) == rhs.commandLines.map(\.passed)
        }
    }

    public init(configuration: FirewallConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Client to host

    public mutating func inbound<C: Collection>(_ chunk: C) -> Inbound where C.Element == UInt8 {
        var result = Inbound()
        var bytes = Array(chunk)[...]
        var chunkStart = true
        while !bytes.isEmpty, result.dropReason == nil {
            switch mode {
            case .swallowing:
                result.notes.append("firewall swallowed \(bytes.count) bytes")
                bytes = []
            case .payload(let remaining):
                let take = min(remaining, bytes.count)
                result.bytes += bytes.prefix(take)
                bytes = bytes.dropFirst(take)
                mode = take == remaining ? .commands : .payload(remaining: remaining - take)
            case .data(let tail):
                bytes = passData(bytes, tail: tail, chunkStart: chunkStart, into: &result)
            case .commands:
                guard let lineFeed = bytes.firstIndex(of: 0x0A) else {
                    partialLine += bytes
                    bytes = []
                    if let limit = configuration.maxCommandLength, partialLine.count > limit {
                        result.dropReason = "command line over \(limit) bytes"
                    }
                    continue
                }
                let line = partialLine + bytes[..<(lineFeed + 1)]
                partialLine = []
                bytes = bytes[(lineFeed + 1)...]
                passCommand(line, into: &result)
            }
            chunkStart = false
        }
        return result
    }

    private mutating func passCommand(_ line: [UInt8], into result: inout Inbound) {
        if let limit = configuration.maxCommandLength, line.count > limit {
            result.dropReason = "command line over \(limit) bytes"
            return
        }
        let verbEnd = line.firstIndex(where: { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A }) ?? line.count
        let verb = String(decoding: line[..<verbEnd], as: UTF8.self).uppercased()
        let allowed = (configuration.allowCommands?.contains(verb) ?? true) && !configuration.denyCommands.contains(verb)
        guard allowed else {
            let rewritten = overwrite(line)
            result.bytes += rewritten
            result.commandLines.append((line, rewritten))
            result.notes.append("firewall overwrote \(verb) (not allowed)")
            return
        }
        result.bytes += line
        result.commandLines.append((line, nil))
        switch verb {
        case "MAIL", "RSET", "HELO", "EHLO":
            recipients = 0
        case "RCPT":
            recipients += 1
            if let limit = configuration.maxRecipients, recipients > limit {
                result.dropReason = "more than \(limit) recipients"
            }
        case "DATA":
            mode = .data(tail: [0x0D, 0x0A])
        case "XEXCH50", "BDAT":
            let words = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A })
            if words.count >= 2, let size = Int(String(decoding: words[1], as: UTF8.self)), size > 0 {
                mode = .payload(remaining: size)
            }
        default:
            break
        }
        if let swallowed = configuration.swallowAfter, swallowed.uppercased() == verb {
            mode = .swallowing
        }
    }

    /// Passes DATA content until `CRLF.CRLF`. With `dropSplitDot`, a terminator that began in an
    /// earlier read is dropped (the PIX bug): the host never sees the end of the message.
    private mutating func passData(
        _ bytes: ArraySlice<UInt8>, tail: [UInt8], chunkStart: Bool, into result: inout Inbound
    ) -> ArraySlice<UInt8> {
        let terminator: [UInt8] = [0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
        var window = tail
        var index = bytes.startIndex
        while index < bytes.endIndex {
            window.append(bytes[index])
            if window.count > 5 { window.removeFirst(window.count - 5) }
            index += 1
            guard window == terminator else { continue }
            let inThisRead = index - bytes.startIndex
            if configuration.dropSplitDot, chunkStart, inThisRead < 5 {
                // Keep the part of the terminator that came earlier; drop what completes it.
                let kept = max(0, inThisRead - 3)
                result.bytes += bytes[bytes.startIndex..<(bytes.startIndex + kept)]
                result.notes.append("firewall dropped an end-of-data split across TCP segments")
                mode = .data(tail: [])
                return bytes[index...]
            }
            result.bytes += bytes[bytes.startIndex..<index]
            mode = .commands
            return bytes[index...]
        }
        result.bytes += bytes
        mode = .data(tail: window)
        return []
    }

    private func overwrite(_ line: [UInt8]) -> [UInt8] {
        var contentEnd = line.count
        while contentEnd > 0, line[contentEnd - 1] == 0x0A || line[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        var rewritten = [UInt8](repeating: UInt8(ascii: "X"), count: contentEnd)
        if configuration.disallowedCommandRewrite == .noop, contentEnd >= 4 {
            rewritten.replaceSubrange(0..<4, with: Array("NOOP".utf8))
            if contentEnd > 4 { rewritten[4] = 0x20 }
        }
        return rewritten + line[contentEnd...]
    }

    // MARK: - Host to client

    /// Rewrites a reply on its way to the client. `event` is the scenario event it answers.
    public mutating func outbound(_ reply: [UInt8], event: String) -> [UInt8] {
        switch event {
        case ScenarioEvent.connect where configuration.maskBanner:
            // PIX/ASA hide the host's software: all but '2', '0', spaces and line ends become '*'.
            return reply.map { [0x32, 0x30, 0x20, 0x0D, 0x0A].contains($0) ? $0 : UInt8(ascii: "*") }
        case ScenarioEvent.ehlo:
            return filterExtensions(reply)
        default:
            return reply
        }
    }

    private mutating func filterExtensions(_ reply: [UInt8]) -> [UInt8] {
        let masked = Set(configuration.maskExtensions.map { $0.uppercased() })
        let stripped = Set(configuration.stripExtensions.map { $0.uppercased() })
        guard !masked.isEmpty || !stripped.isEmpty || configuration.maskUnknownExtensions else { return reply }
        let known = Set(FirewallConfiguration.knownExtensionKeywords)
        let lines = reply.split(separator: 0x0A).map { line in Array(line.last == 0x0D ? line.dropLast() : line) }
        guard let first = lines.first, first.count >= 3 else { return reply }
        let code = Array(first.prefix(3))
        var kept: [[UInt8]] = [Array(first.dropFirst(4))]
        for line in lines.dropFirst() {
            let text = Array(line.dropFirst(4))
            // `AUTH=LOGIN` is a keyword of its own, unknown to the inspection engine.
            let keywordEnd = text.firstIndex(of: 0x20) ?? text.count
            let keyword = String(decoding: text[..<keywordEnd], as: UTF8.self).uppercased()
            if stripped.contains(keyword) { continue }
            if masked.contains(keyword) || (configuration.maskUnknownExtensions && !known.contains(keyword)) {
                // ASA keeps the length and ends with a running letter: STARTTLS → XXXXXXXA.
                var mask = [UInt8](repeating: UInt8(ascii: "X"), count: max(1, text.count) - 1)
                mask.append(maskLetter)
                maskLetter = maskLetter == UInt8(ascii: "Z") ? UInt8(ascii: "A") : maskLetter + 1
                kept.append(mask)
            } else {
                kept.append(text)
            }
        }
        var out: [UInt8] = []
        for (index, text) in kept.enumerated() {
            out += code
            out.append(index == kept.count - 1 ? 0x20 : UInt8(ascii: "-"))
            out += text
            out += [0x0D, 0x0A]
        }
        return out
    }
}
