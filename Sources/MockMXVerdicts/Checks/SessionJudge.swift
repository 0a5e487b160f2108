/// Collects the verdicts about one session's dialogue.
struct SessionJudge {
    let dialogue: Dialogue
    let expectations: VerdictExpectations
    private(set) var verdicts: [Verdict] = []
    private let labels: [Int: String]

    init(_ dialogue: Dialogue, expectations: VerdictExpectations) {
        self.dialogue = dialogue
        self.expectations = expectations
        self.labels = SessionJudge.labels(dialogue)
    }

    mutating func add(
        _ check: VerdictCheck, _ result: Verdict.Result, message: String? = nil, evidence entries: [Int],
        _ explanation: String
    ) {
        var seen = Set<Int>()
        let entries = entries.filter { $0 >= 0 && $0 < dialogue.session.transcript.count && seen.insert($0).inserted }
        var result = result
        var explanation = explanation
        let omitted = dialogue.session.omittedTranscriptEntries
        // A pass on a cut transcript is a pass on what was kept: what the bound left out may hold a fault.
        if result == .pass, omitted > 0, check != .sessionQuit {
            result = .inconclusive
            explanation += "; but \(omitted) later transcript entries were not kept (the transcript bound)"
        }
        verdicts.append(
            Verdict(
                check: check.rawValue, result: result, severity: check.severity, client: dialogue.session.client,
                sessions: [dialogue.session.id], message: message, evidence: entries.sorted().map(dialogue.evidence),
                reference: check.reference, explanation: explanation))
    }

    func command(_ index: Int) -> Dialogue.Command { dialogue.commands[index] }

    /// How a verdict names a message: `<from> -> <to>,<to> (N bytes)`.
    func messageLabel(forContentAt index: Int) -> String {
        labels[index] ?? Envelope.label(from: "", to: [], bytes: dialogue.commands[index].bytes)
    }

    /// Every message's label, by the index of its content (or last BDAT chunk), from one pass over the commands.
    private static func labels(_ dialogue: Dialogue) -> [Int: String] {
        var labels: [Int: String] = [:]
        var from = ""
        var recipients: [String] = []
        for (index, command) in dialogue.commands.enumerated() {
            switch (command.kind, command.verb) {
            case (.command, "MAIL"):
                from = Envelope.address(command.argument)
                recipients = []
            case (.command, "RCPT"):
                if let reply = dialogue.reply(of: command), (200..<300).contains(reply.code) {
                    recipients.append(Envelope.address(command.argument))
                }
            case (.command, "RSET"):
                recipients = []
            case (.content, _), (.chunk, _):
                labels[index] = Envelope.label(from: from, to: recipients, bytes: command.bytes)
            default:
                break
            }
        }
        return labels
    }

    /// Runs every check that can be decided from this one session.
    mutating func judgeSession() {
        judgeSynchronization()
        judgeDataWaits()
        judgeContentShape()
        judgeQuit()
        judgeEHLOFallback()
        judgeSize()
        judge421()
        judgeXEXCH50()
        judgePatience()
    }
}

/// Envelope addresses as the transcript shows them in `MAIL FROM:<a> …` and `RCPT TO:<b> …`.
enum Envelope {
    static func address(_ argument: String) -> String {
        guard let open = argument.firstIndex(of: "<"), let close = argument[open...].firstIndex(of: ">") else {
            let afterColon = argument.split(separator: ":", maxSplits: 1).last ?? ""
            return String(afterColon.prefix { $0 != " " })
        }
        return argument[argument.index(after: open)..<close].asciiLowercased
    }

    static func label(from: String, to: [String], bytes: Int?) -> String {
        "<\(from)> -> " + to.map { "<\($0)>" }.joined(separator: ",") + (bytes.map { " (\($0) bytes)" } ?? "")
    }
}
