import FuzzSupport
import MockMXScenario
import SMTPProtocol

/// The middlebox filter fed arbitrary client bytes cut into arbitrary reads, and arbitrary EHLO lists.
///
/// Input layout: three control bytes, then the client's bytes.
/// - byte 0: bits 0–1 preset (none, PIX, ASA, custom), bits 2–7 custom knobs
/// - byte 1: how the bytes are cut into reads (`FeedSchedule`)
/// - byte 2: bits 0–2 command length limit, bits 3–5 recipient limit, bit 6 NOOP rewrite
///
/// Invariants: the host gets the same bytes however the client's bytes were cut into reads (unless the
/// filter reproduces the PIX split end-of-data bug, which depends on exactly that); a filter with no
/// knob set passes every byte unchanged; rewriting keeps lengths; what reaches the client from a
/// well-formed reply is still well-formed.
enum FirewallFuzzer {
    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let presetByte = input.byte()
        let feedControl = input.byte()
        let limitsByte = input.byte()
        let payload = input.rest()
        let configuration = configuration(presetByte: presetByte, limitsByte: limitsByte)

        var whole = FirewallFilter(configuration: configuration)
        let reference = whole.inbound(payload)
        var split = FirewallFilter(configuration: configuration)
        var schedule = FeedSchedule(control: feedControl)
        var passed: [UInt8] = []
        var dropped = false
        for chunk in schedule.chunks(of: payload) where !dropped {
            let result = split.inbound(chunk)
            passed += result.bytes
            dropped = result.dropReason != nil
            for line in result.commandLines {
                if let rewritten = line.passed {
                    invariant(rewritten.count == line.sent.count, "a rewrite changed a line's length")
                }
            }
        }
        if !configuration.dropSplitDot {
            invariant(
                passed == reference.bytes,
                "the host got \(printable(passed)) in reads, \(printable(reference.bytes)) at once")
            invariant(dropped == (reference.dropReason != nil), "the drop depends on how the bytes were read")
        }
        invariant(passed.count <= payload.count, "the filter added bytes")
        // Only a command line still waiting for its LF may be held back.
        let unterminated = payload.count - (payload.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
        if configuration == FirewallConfiguration() {
            invariant(
                passed == Array(payload.prefix(passed.count)) && passed.count >= payload.count - unterminated,
                "a filter without knobs changed the bytes: \(printable(passed))")
        }
        if configuration.swallowAfter == nil, !configuration.dropSplitDot, !dropped {
            invariant(
                passed.count >= payload.count - unterminated,
                "the filter lost bytes without swallowing or dropping: passed \(passed.count) of \(payload.count)")
        }
        checkOutbound(configuration, payload)
    }

    static func configuration(presetByte: UInt8, limitsByte: UInt8) -> FirewallConfiguration {
        var configuration: FirewallConfiguration
        switch presetByte & 0x03 {
        case 0: return FirewallConfiguration()
        case 1: configuration = FirewallConfiguration(persona: .pixMailguard)
        case 2: configuration = FirewallConfiguration(persona: .asaESMTP)
        default:
            let knobs = presetByte >> 2
            configuration = FirewallConfiguration(
                maskBanner: knobs & 0x01 != 0,
                allowCommands: knobs & 0x02 != 0 ? ["HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"] : nil,
                denyCommands: knobs & 0x04 != 0 ? ["STARTTLS", "XEXCH50"] : [],
                maskExtensions: ["STARTTLS"],
                maskUnknownExtensions: knobs & 0x08 != 0,
                stripExtensions: knobs & 0x10 != 0 ? ["CHUNKING", "PIPELINING"] : [],
                swallowAfter: knobs & 0x20 != 0 ? "XEXCH50" : nil)
        }
        let lengths: [Int?] = [nil, nil, 1, 5, 16, 512, 1000, 4096]
        let recipients: [Int?] = [nil, nil, 0, 1, 2, 3, 100, 1000]
        configuration.maxCommandLength = lengths[Int(limitsByte & 0x07)] ?? configuration.maxCommandLength
        configuration.maxRecipients = recipients[Int((limitsByte >> 3) & 0x07)] ?? configuration.maxRecipients
        if limitsByte & 0x40 != 0 { configuration.disallowedCommandRewrite = .noop }
        if limitsByte & 0x80 != 0 { configuration.dropSplitDot.toggle() }
        return configuration
    }

    /// The payload read as EHLO keywords (one per line) and as a banner.
    static func checkOutbound(_ configuration: FirewallConfiguration, _ payload: [UInt8]) {
        var filter = FirewallFilter(configuration: configuration)
        let text = payload.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x0A }
        let keywords = text.split(separator: 0x0A).prefix(40).map { String(decoding: $0, as: UTF8.self) }
        let banner = SMTPReply(code: 220, lines: ["mx.fuzz.test ESMTP"] + keywords).encoded(enhancedStatusCodes: false)
        let masked = filter.outbound(banner, event: "connect")
        invariant(masked.count == banner.count, "banner masking changed the length")
        invariant(
            zip(masked, banner).allSatisfy { ($0 == 0x0D || $0 == 0x0A) == ($1 == 0x0D || $1 == 0x0A) },
            "banner masking moved a line break")
        let ehlo = SMTPReply(code: 250, lines: ["mx.fuzz.test"] + keywords).encoded(enhancedStatusCodes: false)
        let filtered = filter.outbound(ehlo, event: "ehlo")
        if let problem = ReplySyntax.problem(filtered, text: .ascii) {
            invariant(false, "EHLO reply after the filter: \(problem): \(printable(filtered)) from \(printable(ehlo))")
        }
        invariant(filtered.count <= ehlo.count, "the EHLO filter grew the reply")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FirewallFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzFirewallFilterReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), FirewallFuzzer.run)
    }
}
#endif
