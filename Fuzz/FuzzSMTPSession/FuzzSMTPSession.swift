import FuzzSupport
import SMTPProtocol

/// The session state machine fed arbitrary byte streams, cut into arbitrary reads, with arbitrary
/// replies committed in place of its proposals (what scenario rules do).
///
/// Besides the invariants checked at every step, the conversation must not depend on how the bytes were
/// cut into reads: the same input all at once must get the same replies and store the same messages.
///
/// Input layout: five control bytes, then the bytes the client sends.
/// - byte 0: bits 0–1 line endings (strict, normalize, lax, strict), bit 2 strict pipelining,
///   bit 3 round-trip mode (below), bits 4–6 the EHLO keyword set, bit 7 `requireTLS`
/// - byte 1: bits 0–2 message size limit, bits 3–5 command line limit, bits 6–7 recipient limit
/// - byte 2: how the client bytes are cut into reads (`FeedSchedule`)
/// - byte 3: bits 0–3 how often a commit is overridden (n/16), bits 4–7 seed of the override codes
/// - byte 4: bits 0–1 greeting, bit 2 `data.bytes` marks, bit 3 bytes before the greeting,
///   bits 4–7 round-trip kind; outside round-trip mode bit 4 speaks LMTP (RFC 2033) instead of SMTP, and
///   bit 5 (without bit 4: an LMTP listener never proxies) is proxy mode (AUTH, XEXCH50 and BDAT follow
///   whatever codes are committed, and the relayed bytes must be the blob or the chunk exactly)
///
/// In round-trip mode the client bytes are message content, wrapped into a session whose outcome is
/// known exactly (dot-stuffing, bare LF handling per mode, BDAT chunks, the XEXCH50 blob).
enum SessionFuzzer {
    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let flags = input.byte()
        let limitsByte = input.byte()
        let feedByte = input.byte()
        let overrideByte = input.byte()
        let extraByte = input.byte()
        let payload = input.rest()
        if flags & 0x08 != 0 {
            RoundTrip.run(kind: extraByte >> 4, feedControl: feedByte, chunkControl: overrideByte, content: payload)
            return
        }
        var configuration = SMTPServerConfiguration(
            hostname: "mx.fuzz.test",
            greeting: greetings[Int(extraByte & 0x03)],
            extensions: extensionSets[Int((flags >> 4) & 0x07)],
            limits: SMTPLimits(
                messageSize: messageSizes[Int(limitsByte & 0x07)],
                recipients: recipientLimits[Int(limitsByte >> 6)],
                commandLineLength: lineLengths[Int((limitsByte >> 3) & 0x07)]),
            lineEndings: LineEndingMode.allCases[Int(flags & 0x03) % LineEndingMode.allCases.count],
            pipelining: flags & 0x04 != 0 ? .strict : .lenient,
            auth: AuthPolicy(users: ["user": "secret"]),
            requireTLS: flags & 0x80 != 0)
        if extraByte & 0x10 != 0 { configuration.useLMTP() }
        var schedule = FeedSchedule(control: feedByte)
        var chunks = schedule.chunks(of: payload)[...]
        let early = extraByte & 0x08 != 0 ? chunks.popFirst() : nil
        let marks = extraByte & 0x04 != 0 ? [1, 7, 100, 4096] : []
        let proxied = extraByte & 0x30 == 0x20
        let split = session(
            configuration, overrideByte, marks: marks, proxied: proxied, early: early, chunks: Array(chunks))
        // The same bytes all at once must give the same conversation, unless the difference is the point:
        // strict pipelining judges what is already buffered, STARTTLS discards what was pipelined after it.
        guard configuration.pipelining == .lenient, split.isSplitIndependent else { return }
        let rest = Array(chunks.joined())
        let whole = session(
            configuration, overrideByte, marks: marks, proxied: proxied, early: early,
            chunks: rest.isEmpty ? [] : [rest[...]])
        invariant(
            whole.output == split.output,
            "read in pieces: \(printable(split.output))\nall at once: \(printable(whole.output))")
        invariant(whole.stored == split.stored, "the stored messages depend on how the input was read")
    }

    private static func session(
        _ configuration: SMTPServerConfiguration, _ overrideControl: UInt8, marks: [Int], proxied: Bool,
        early: ArraySlice<UInt8>?, chunks: [ArraySlice<UInt8>]
    ) -> Driver {
        var driver = Driver(configuration: configuration, overrideControl: overrideControl)
        driver.machine.dataProgressMarks = marks
        driver.machine.proxied = proxied
        if let early { driver.machine.receive(early) }
        driver.apply(driver.machine.connect())
        driver.drain(fed: 0)
        for chunk in chunks where !driver.closed {
            driver.machine.receive(chunk)
            driver.drain(fed: chunk.count)
        }
        return driver
    }

    static let greetings: [SMTPReply] = [
        SMTPReply(220, nil, "mx.fuzz.test ESMTP mockmx"),
        SMTPReply(554, nil, "mx.fuzz.test No SMTP service here"),
        SMTPReply(421, nil, "mx.fuzz.test Too busy"),
        SMTPReply(code: 220, lines: ["mx.fuzz.test ESMTP", "second line", "third line"]),
    ]
    static let extensionSets: [[String]] = [
        ["PIPELINING", "SIZE 10485760", "8BITMIME", "ENHANCEDSTATUSCODES"],
        [],
        ["PIPELINING", "SIZE", "ENHANCEDSTATUSCODES", "8BITMIME", "XEXCH50"],
        ["PIPELINING", "CHUNKING", "BINARYMIME", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8"],
        ["AUTH PLAIN LOGIN CRAM-MD5", "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING"],
        [
            "PIPELINING", "SIZE 1000", "8BITMIME", "ENHANCEDSTATUSCODES", "XEXCH50", "CHUNKING", "BINARYMIME",
            "DSN", "SMTPUTF8", "AUTH PLAIN LOGIN CRAM-MD5", "STARTTLS",
        ],
        ["XEXCH50", "CHUNKING", "BINARYMIME", "DSN", "AUTH=LOGIN", "AUTH LOGIN", "STARTTLS"],
        ["X-EXPS GSSAPI NTLM LOGIN", "XEXCH50", "CHUNKING", "8bitmime", "enhancedstatuscodes", "pipelining"],
    ]
    static let messageSizes = [1, 5, 16, 100, 1000, 4096, 65_536, 10_485_760]
    static let lineLengths = [1, 2, 6, 12, 40, 512, 1000, 4096]
    static let recipientLimits = [1, 2, 3, 1000]
}

/// What the transport does with each step, with the fuzz input choosing what is really sent.
struct Driver {
    var machine: SMTPSessionStateMachine
    private var overrides: SplitMix64
    private let overrideRate: Int
    private(set) var closed = false
    private(set) var stored: [ReceivedMessage] = []
    private var storedIDs: Set<String> = []
    /// What went out: each reply as sent, or a note of the code committed in its place.
    private(set) var output: [UInt8] = []
    /// False once STARTTLS was accepted (it discards input read with it, so reads matter by design).
    private(set) var isSplitIndependent = true

    /// Codes a scenario rule may commit instead of the proposal; nil is a withheld reply.
    private static let codes: [Int?] = [nil, 250, 354, 220, 221, 235, 334, 421, 450, 451, 452, 500, 503, 550, 552, 554]

    init(configuration: SMTPServerConfiguration, overrideControl: UInt8) {
        machine = SMTPSessionStateMachine(configuration: configuration, sessionID: "F1")
        overrides = SplitMix64(seed: UInt64(overrideControl >> 4))
        overrideRate = Int(overrideControl & 0x0F)
    }

    mutating func drain(fed: Int) {
        while !closed, let step = machine.nextStep() {
            apply(step)
        }
        if machine.isAwaitingTLS { machine.tlsEstablished() }
        let limits = machine.configuration.limits
        let bound = limits.commandLineLength + 65_536 + fed
        invariant(
            machine.bufferedByteCount <= bound,
            "\(machine.bufferedByteCount) bytes buffered after a drain, bound \(bound)")
    }

    mutating func apply(_ step: SMTPStep) {
        let limits = machine.configuration.limits
        if let reply = step.reply {
            let wire = machine.encode(reply)
            if let problem = ReplySyntax.problem(wire) {
                invariant(false, "malformed reply to \(step.event): \(problem): \(printable(wire))")
            }
        }
        checkRecipientReplies(step)
        if let message = step.message {
            invariant(!message.recipients.isEmpty, "message \(message.id) has no recipient (event \(step.event))")
            invariant(
                message.content.count <= limits.messageSize,
                "message of \(message.content.count) bytes over the limit \(limits.messageSize)")
            invariant(step.reply?.code == 250, "a message proposed with reply \(String(describing: step.reply))")
            switch step.event {
            case .dataEnd, .bdatChunk(_, true, _): break
            default: invariant(false, "a message on event \(step.event)")
            }
        }
        if machine.proxied {
            switch step.event {
            case .xexch50Blob(let bytes):
                invariant(machine.relayedContent.count == bytes, "relayed blob of \(machine.relayedContent.count) bytes, \(bytes) read")
            case .bdatChunk(let bytes, _, _):
                invariant(
                    machine.relayedContent.count <= min(bytes, limits.messageSize),
                    "relayed chunk of \(machine.relayedContent.count) bytes, \(bytes) read, limit \(limits.messageSize)")
            default: break
            }
        }
        var code = step.reply?.code
        if overrideRate > 0, overrides.below(16) < overrideRate {
            code = Driver.codes[overrides.below(Driver.codes.count)]
            output += Array("[\(code.map(String.init) ?? "withheld") instead]\r\n".utf8)
        } else if !step.recipientReplies.isEmpty {
            for recipientReply in step.recipientReplies { output += machine.encode(recipientReply.reply) }
        } else if let reply = step.reply {
            output += machine.encode(reply)
        }
        if let message = step.message, let code, (200...299).contains(code) {
            invariant(storedIDs.insert(message.id).inserted, "message id \(message.id) acknowledged twice")
            stored.append(message)
        }
        machine.commit(sentCode: code)
        if machine.isAwaitingTLS { isSplitIndependent = false }
        // The transport closes after a step that says so, and after any 421 (RFC 5321 §3.8).
        if step.closesConnection || code == 421 {
            machine.close()
            closed = true
        }
    }
}

extension Driver {
    /// LMTP: the end of a message answers each accepted recipient once, in RCPT order (RFC 2033 §4.2), with
    /// well-formed replies; HELO and EHLO are refused. SMTP never answers per recipient.
    func checkRecipientReplies(_ step: SMTPStep) {
        guard machine.configuration.isLMTP else {
            invariant(step.recipientReplies.isEmpty, "per-recipient replies in SMTP (event \(step.event))")
            return
        }
        if case .command(let verb, _, true) = step.event, verb == "HELO" || verb == "EHLO" {
            invariant(step.reply?.code == 500, "\(verb) in LMTP answered \(String(describing: step.reply))")
        }
        if !step.recipientReplies.isEmpty {
            switch step.event {
            case .dataEnd, .bdatChunk(_, true, _): break
            default: invariant(false, "per-recipient replies on event \(step.event)")
            }
        }
        for recipientReply in step.recipientReplies {
            if let problem = ReplySyntax.problem(machine.encode(recipientReply.reply)) {
                invariant(false, "malformed reply to a recipient: \(problem)")
            }
        }
        if let message = step.message {
            invariant(
                step.recipientReplies.map { String(decoding: $0.recipient, as: UTF8.self) } == message.recipients,
                "per-recipient replies for other recipients than the message's")
        }
    }
}

/// Content wrapped into a complete session whose outcome is known exactly.
enum RoundTrip {
    static func run(kind: UInt8, feedControl: UInt8, chunkControl: UInt8, content: [UInt8]) {
        switch kind % 6 {
        case 0:
            // Content with CRLF line ends only: every mode gives it back exactly.
            let canonical = crlfOnly(content)
            for mode in LineEndingMode.allCases {
                expectData(canonical, mode: mode, feedControl: feedControl, stored: terminated(canonical))
            }
        case 1:
            // Lax: a bare LF ends a line like CRLF, stored as sent.
            let ends = content.isEmpty || content.last == 0x0A
            expectData(content, mode: .lax, feedControl: feedControl, stored: ends ? content : content + [0x0D, 0x0A])
        case 2:
            // Normalize: bare LF stored as CRLF.
            let stored = crlfOnly(terminatedForStrictEnd(content))
            expectData(content, mode: .normalize, feedControl: feedControl, stored: stored)
        case 3:
            // Strict: a bare LF anywhere refuses the message; otherwise it is kept exactly.
            let hasBareLF = crlfOnly(content) != content
            let stored: [UInt8]? = hasBareLF ? nil : terminatedForStrictEnd(content)
            expectData(content, mode: .strict, feedControl: feedControl, stored: stored)
        case 4:
            expectChunks(content, feedControl: feedControl, chunkControl: chunkControl)
        default:
            expectBlob(content, feedControl: feedControl)
        }
    }

    static let envelope = Array("EHLO client.test\r\nMAIL FROM:<a@fuzz.test>\r\nRCPT TO:<b@fuzz.test>\r\n".utf8)

    static func configuration(_ mode: LineEndingMode, contentSize: Int) -> SMTPServerConfiguration {
        SMTPServerConfiguration(
            extensions: ["PIPELINING", "ENHANCEDSTATUSCODES", "CHUNKING", "XEXCH50"],
            limits: SMTPLimits(messageSize: max(1 << 20, 2 * contentSize + 16)),
            lineEndings: mode)
    }

    /// Sends `content` dot-stuffed in DATA and checks what is stored (nil: refused).
    static func expectData(_ content: [UInt8], mode: LineEndingMode, feedControl: UInt8, stored expected: [UInt8]?) {
        var wire = envelope + Array("DATA\r\n".utf8) + stuffed(content)
        // What ends the data: `.CRLF` right after a CRLF; else a CRLF first (in lax mode a bare LF does).
        if content.isEmpty || content.suffix(2) == [0x0D, 0x0A] || (mode == .lax && content.last == 0x0A) {
            wire += Array(".\r\n".utf8)
        } else {
            wire += Array("\r\n.\r\n".utf8)
        }
        wire += Array("QUIT\r\n".utf8)
        let configuration = configuration(mode, contentSize: content.count)
        let messages = session(wire, configuration: configuration, feedControl: feedControl)
        guard let expected else {
            invariant(messages.isEmpty, "\(mode): a message with a bare LF was accepted")
            return
        }
        invariant(messages.count == 1, "\(mode): \(messages.count) messages for one DATA")
        invariant(
            messages.first?.content == expected,
            "\(mode): stored \(printable(messages.first?.content ?? [])) for \(printable(content))")
    }

    static func expectChunks(_ content: [UInt8], feedControl: UInt8, chunkControl: UInt8) {
        var schedule = FeedSchedule(control: chunkControl)
        var chunks = schedule.chunks(of: content)
        let last = chunks.popLast() ?? []
        var wire = envelope
        for chunk in chunks { wire += Array("BDAT \(chunk.count)\r\n".utf8) + chunk }
        wire += Array("BDAT \(last.count) LAST\r\n".utf8) + last + Array("QUIT\r\n".utf8)
        let configuration = configuration(.normalize, contentSize: content.count)
        let messages = session(wire, configuration: configuration, feedControl: feedControl)
        invariant(messages.count == 1, "BDAT: \(messages.count) messages")
        invariant(
            messages.first?.content == content, "BDAT: content changed: \(printable(messages.first?.content ?? []))")
    }

    static func expectBlob(_ content: [UInt8], feedControl: UInt8) {
        let blob = content.count > 4 ? content : content + [UInt8](repeating: 0x2E, count: 5 - content.count)
        let wire = envelope + Array("XEXCH50 \(blob.count) 2\r\n".utf8) + blob + Array("DATA\r\n.\r\nQUIT\r\n".utf8)
        let messages = session(wire, configuration: configuration(.normalize, contentSize: 0), feedControl: feedControl)
        invariant(messages.count == 1, "XEXCH50: \(messages.count) messages")
        invariant(messages.first?.xexch50 == XEXCH50Blob(bytes: blob, recipientArgument: 2), "XEXCH50: blob changed")
        invariant(messages.first?.content == [], "XEXCH50: content \(printable(messages.first?.content ?? []))")
    }

    private static func session(
        _ wire: [UInt8], configuration: SMTPServerConfiguration, feedControl: UInt8
    ) -> [ReceivedMessage] {
        var driver = Driver(configuration: configuration, overrideControl: 0)
        driver.apply(driver.machine.connect())
        var schedule = FeedSchedule(control: feedControl)
        for chunk in schedule.chunks(of: wire) where !driver.closed {
            driver.machine.receive(chunk)
            driver.drain(fed: chunk.count)
        }
        invariant(driver.closed, "the session did not reach QUIT")
        return driver.stored
    }

    /// RFC 5321 §4.5.2: a line starting with `.` gets one more. A line starts after every LF (in strict and
    /// normalize mode too: after a bare LF the host still unstuffs).
    static func stuffed(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + 16)
        var atLineStart = true
        for byte in content {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 0x0A
        }
        return out
    }

    /// Every LF not preceded by CR gets one.
    static func crlfOnly(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + 16)
        for byte in content {
            if byte == 0x0A, out.last != 0x0D { out.append(0x0D) }
            out.append(byte)
        }
        return out
    }

    /// What a host that ends data only on `CRLF.CRLF` stores: the content, plus the CRLF the client adds
    /// when the content does not already end with one.
    static func terminatedForStrictEnd(_ content: [UInt8]) -> [UInt8] {
        content.isEmpty || content.suffix(2) == [0x0D, 0x0A] ? content : content + [0x0D, 0x0A]
    }

    static func terminated(_ canonical: [UInt8]) -> [UInt8] {
        terminatedForStrictEnd(canonical)
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    SessionFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzSMTPSessionReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), SessionFuzzer.run)
    }
}
#endif
