import FuzzSupport
import MockMXScenario
import SMTPProtocol

/// The scenario loader fed arbitrary text (the control API passes request bodies straight to it).
///
/// Invariants: it never crashes; a refused document has at least one diagnostic, each inside the document
/// and naming the file; loading is deterministic; an accepted scenario only makes the host say well-formed
/// replies (greeting, EHLO list, rule replies) and has usable limits.
enum LoaderFuzzer {
    static func run(_ data: [UInt8]) {
        let yaml = String(decoding: data, as: UTF8.self)
        let first: Scenario
        do {
            first = try ScenarioLoader.load(yaml: yaml, file: "fuzz.yaml")
        } catch {
            checkDiagnostics(error, yaml: yaml)
            return
        }
        do {
            let second = try ScenarioLoader.load(yaml: yaml, file: "fuzz.yaml")
            invariant(second == first, "loading the same document twice gave two scenarios")
        } catch {
            invariant(false, "loaded once, refused the second time: \(error)")
        }
        checkScenario(first)
    }

    static func checkDiagnostics(_ error: ScenarioLoadError, yaml: String) {
        invariant(!error.diagnostics.isEmpty, "refused without a diagnostic")
        let lineCount = yamlLineCount(yaml)
        for diagnostic in error.diagnostics {
            invariant(diagnostic.file == "fuzz.yaml", "diagnostic names \(diagnostic.file)")
            invariant(
                diagnostic.line >= 0 && diagnostic.line <= lineCount + 1 && diagnostic.column >= 0,
                "diagnostic at \(diagnostic.line):\(diagnostic.column) in a \(lineCount)-line document")
            invariant(!diagnostic.message.isEmpty, "a diagnostic without a message")
            invariant(diagnostic.description.hasPrefix("fuzz.yaml"), "rendered as \(diagnostic.description)")
        }
    }

    /// Lines as libyaml counts them (YAML 1.1 §5.4): CRLF, a lone CR, LF, NEL, LS and PS each end a line.
    static func yamlLineCount(_ yaml: String) -> Int {
        var count = 1
        var previous: Unicode.Scalar?
        for scalar in yaml.unicodeScalars {
            switch scalar {
            case "\n": if previous != "\r" { count += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": count += 1
            default: break
            }
            previous = scalar
        }
        return count
    }

    static func checkScenario(_ scenario: Scenario) {
        let host = scenario.host
        invariant(host.limits.messageSize >= 1, "message size limit \(host.limits.messageSize)")
        invariant(host.limits.recipients >= 1, "recipient limit \(host.limits.recipients)")
        invariant(host.limits.commandLineLength >= 1, "line length limit \(host.limits.commandLineLength)")
        invariant(scenario.timeouts.idleMilliseconds >= 0, "idle timeout \(scenario.timeouts.idleMilliseconds)")
        invariant(scenario.timeouts.holdMilliseconds >= 0, "hold timeout \(scenario.timeouts.holdMilliseconds)")
        // What the loader promises ("one word with no spaces"). It lets TAB, NUL and other controls
        // through (HardeningScenarioTests pins that as a known issue), which at least cannot break framing.
        invariant(
            !host.hostname.utf8.contains { $0 == 0x20 || $0 == 0x0D || $0 == 0x0A } && !host.hostname.isEmpty,
            "hostname \(printable(Array(host.hostname.utf8)))")

        for enhanced in [false, true] {
            check(host.greeting.encoded(enhancedStatusCodes: enhanced), "greeting")
        }
        // The EHLO reply is the hostname and the keywords, as the state machine sends it.
        var machine = SMTPSessionStateMachine(configuration: host, sessionID: "F1")
        let greeting = machine.connect()
        machine.commit(sentCode: 220)
        invariant(greeting.reply != nil, "no greeting")
        machine.receive(Array("EHLO fuzz.test\r\n".utf8))
        if let step = machine.nextStep(), let reply = step.reply {
            check(machine.encode(reply), "EHLO reply")
            machine.commit(sentCode: reply.code)
        }
        for rule in scenario.rules {
            invariant(!rule.actions.isEmpty, "rule \(rule.index) has no action")
            for case .reply(let reply) in rule.actions {
                for enhanced in [false, true] {
                    check(reply.encoded(enhancedStatusCodes: enhanced), "reply of rule \(rule.index)")
                }
            }
        }
        if scenario.rules.contains(where: { $0.conditions.greylist != nil || $0.conditions.limit != nil }) {
            checkKeyedState(scenario)
        }
    }

    /// A test clock the harness moves; only the fuzzing thread reads it.
    private final class ManualClock: @unchecked Sendable {
        var now: Int64 = 0
    }

    /// Drives the engine of a scenario with `greylist:` or `limit:` rules through events from a few clients,
    /// senders and recipients over scenario days: the state stays within its capacity, `{remaining}` fills
    /// in to well-formed replies, and the state can always be described.
    static func checkKeyedState(_ scenario: Scenario) {
        let clock = ManualClock()
        let capacity = 4
        let engine = ScenarioEngine(
            scenario: scenario, clock: ScenarioClock { clock.now }, stateCapacity: capacity)
        let events = Array(Set(scenario.rules.map(\.event))).sorted()
        for step in 0..<48 {
            for event in events {
                let client = "192.0.2.\(step % 3)"
                let sender = Array("s\(step % 5)@a.test".utf8)
                let recipient = "r\(step % 7)@B.test"
                let arguments = event == "mail" ? "FROM:<s\(step % 5)@a.test>" : "TO:<\(recipient)>"
                let context = RuleEventContext(
                    event: event, arguments: Array(arguments.utf8), helo: Array("h\(step % 2)".utf8),
                    clientAddress: client, bytes: 1, sender: sender, recipients: [Array(recipient.utf8)])
                for case .reply(let reply) in engine.match(context)?.actions ?? [] {
                    check(reply.encoded(enhancedStatusCodes: true), "reply of a keyed rule")
                }
                invariant(engine.stateKeyCount <= capacity, "\(engine.stateKeyCount) keys over a capacity of \(capacity)")
            }
            clock.now += Int64(step) * 7_919_000
        }
        for key in engine.stateDescriptions() {
            invariant((key.remainingMilliseconds ?? 0) >= 0, "negative time left: \(key)")
            invariant((key.count ?? 0) <= (key.maximum ?? Int.max), "counted over the maximum: \(key)")
        }
    }

    private static func check(_ wire: [UInt8], _ what: String) {
        if let problem = ReplySyntax.problem(wire, text: .anyButLineBreaks) {
            invariant(false, "\(what) is malformed: \(problem): \(printable(wire))")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    LoaderFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzScenarioLoaderReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), LoaderFuzzer.run)
    }
}
#endif
