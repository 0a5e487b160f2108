/// Checks of how the client honoured what the host advertised, refused or withheld.
extension SessionJudge {
    /// RFC 5321 §4.5.3.2's minimum client timeouts, in seconds, by the step whose reply was withheld.
    static func minimumPatience(for command: Dialogue.Command?) -> (seconds: Double, step: String) {
        guard let command else { return (300, "the greeting") }
        switch command.kind {
        case .content: return (600, "the end of data")
        case .blob: return (300, "the XEXCH50 blob")
        case .chunk: return (600, "a BDAT chunk")
        default: break
        }
        switch command.verb {
        case "MAIL": return (300, "MAIL")
        case "RCPT": return (300, "RCPT")
        case "DATA": return (120, "DATA")
        default: return (300, command.verb.isEmpty ? "a line" : command.verb)
        }
    }

    /// `size.respected`: no message larger than the advertised SIZE, nothing more after 552 to MAIL (RFC 1870).
    mutating func judgeSize() {
        var chunkTotal = 0
        for (index, command) in dialogue.commands.enumerated() {
            guard let limitText = dialogue.extensions(before: command.entry)?.keywords["SIZE"],
                let limit = Int(limitText), limit > 0
            else { continue }
            if command.verb == "MAIL", let reply = dialogue.reply(of: command), reply.code == 552 {
                let next = dialogue.commands.dropFirst(index + 1).first
                if let next, next.verb == "RCPT" || next.verb == "DATA" || next.verb == "BDAT" {
                    add(
                        .sizeRespected, .fail, evidence: [command.entry, reply.entries[0], next.entry],
                        "after MAIL was refused with 552 the client went on with \(next.verb)")
                } else {
                    add(
                        .sizeRespected, .pass, evidence: [command.entry, reply.entries[0]],
                        "after MAIL was refused with 552 the client sent nothing of the message")
                }
                continue
            }
            let size: Int
            switch command.kind {
            case .content:
                size = command.bytes
            case .chunk:
                chunkTotal += command.bytes
                guard command.argument.asciiUppercased.contains("LAST") else { continue }
                size = chunkTotal
                chunkTotal = 0
            default:
                continue
            }
            let message = messageLabel(forContentAt: index)
            if size > limit {
                add(
                    .sizeRespected, .fail, message: message, evidence: [command.entry],
                    "the client sent \(size) octets although the host advertised SIZE \(limit)")
            } else {
                add(
                    .sizeRespected, .pass, message: message, evidence: [command.entry],
                    "the message (\(size) octets) fit the advertised SIZE \(limit)")
            }
        }
    }

    /// `connection.421-handled`: after a 421 the host is closing; only QUIT may follow.
    mutating func judge421() {
        guard let closing = dialogue.replies.first(where: { $0.code == 421 }) else { return }
        let after = dialogue.commands.first { $0.time > closing.firstTime && $0.verb != "QUIT" && $0.kind == .command }
        if let after {
            add(
                .connection421Handled, .fail, evidence: [closing.entries[0], after.entry],
                "the client sent \(after.verb) after the host's 421 closing reply")
        } else {
            add(
                .connection421Handled, .pass, evidence: [closing.entries[0]],
                "the client sent no command after the host's 421")
        }
    }

    /// `xexch50.exchange`: exactly the announced blob after 354; after a refusal, on to DATA without it.
    mutating func judgeXEXCH50() {
        let commands = dialogue.commands
        for (index, xexch50) in commands.enumerated() where xexch50.verb == "XEXCH50" {
            guard let reply = dialogue.reply(of: xexch50) else { continue }
            let announced = Int(xexch50.argument.prefix { $0 != " " }) ?? -1
            let next = commands.dropFirst(index + 1).first
            if reply.code == 354 {
                guard let blob = next, blob.kind == .blob else {
                    if !dialogue.isOpen {
                        add(
                            .xexch50Exchange, .fail, evidence: [xexch50.entry, reply.entries[0]],
                            "the session ended before the \(announced) announced blob octets arrived")
                    }
                    continue
                }
                let after = commands.dropFirst(index + 2).first
                if let after, let afterReply = dialogue.reply(of: after), after.kind == .malformed
                    || (after.kind == .command && afterReply.code == 500)
                {
                    add(
                        .xexch50Exchange, .fail, evidence: [xexch50.entry, blob.entry, after.entry],
                        "more octets followed the \(announced)-octet blob than XEXCH50 announced")
                } else {
                    add(
                        .xexch50Exchange, .pass, evidence: [xexch50.entry, reply.entries[0], blob.entry],
                        "the client sent exactly the \(announced) announced blob octets after the 354")
                }
            } else if reply.code >= 400 {
                if let next, next.verb == "DATA" || next.verb == "BDAT" || next.verb == "RSET" {
                    add(
                        .xexch50Exchange, .pass, evidence: [xexch50.entry, reply.entries[0], next.entry],
                        "after XEXCH50 was refused with \(reply.code) the client went on with \(next.verb)")
                } else if let next {
                    add(
                        .xexch50Exchange, .fail, evidence: [xexch50.entry, reply.entries[0], next.entry],
                        "after XEXCH50 was refused with \(reply.code) the client did not go on to DATA")
                } else if !dialogue.isOpen {
                    add(
                        .xexch50Exchange, .fail, evidence: [xexch50.entry, reply.entries[0]],
                        "after XEXCH50 was refused with \(reply.code) the client gave up on the message")
                }
            }
        }
    }

    /// `timeouts.patience`: how long the client waited for a reply the host withheld; reported in every case.
    mutating func judgePatience() {
        let session = dialogue.session
        var withheld: [(command: Dialogue.Command?, note: Int, since: Double)] = dialogue.commands
            .filter { $0.withheldEntry != nil }
            .map { ($0, $0.withheldEntry!, $0.endTime) }
        if dialogue.greeting == nil, dialogue.commands.isEmpty,
            let note = session.transcript.indices.first(where: { session.transcript[$0].text.startsASCII("withheld:") })
        {
            withheld.append((nil, note, dialogue.times.first ?? dialogue.times[note]))
        }
        for (command, note, since) in withheld {
            let (minimum, step) = SessionJudge.minimumPatience(for: command)
            let required = expectations.minimumPatienceSeconds ?? minimum
            let evidence = (command.map { [$0.endEntry] } ?? []) + [note]
            guard let end = dialogue.endTime else {
                add(.timeoutsPatience, .pending, evidence: evidence, "the client is still waiting for the reply to \(step)")
                continue
            }
            let waited = SessionTime.seconds(end - since)
            let last = session.transcript.indices.last.map { [$0] } ?? []
            switch session.endReason {
            case "client-quit", "client-vanished":
                if end - since >= required {
                    add(
                        .timeoutsPatience, .pass, evidence: evidence + last,
                        "the client waited \(waited) for the reply to \(step) (at least \(SessionTime.seconds(required)) required)")
                } else {
                    add(
                        .timeoutsPatience, .fail, evidence: evidence + last,
                        "the client gave up after \(waited) waiting for the reply to \(step); at least "
                            + "\(SessionTime.seconds(required)) is required")
                }
            default:
                add(
                    .timeoutsPatience, .inconclusive, evidence: evidence + last,
                    "the host let go first (\(session.endReason ?? "")) after the client had waited \(waited) for the reply to \(step)")
            }
        }
    }
}

extension SessionTime {
    /// `4.2 s`, `10 min 3 s`: a duration as a verdict's sentence gives it.
    static func seconds(_ value: Double) -> String {
        if value < 60 {
            return (value * 10).rounded() / 10 == value.rounded() ? "\(Int(value.rounded())) s" : "\((value * 10).rounded() / 10) s"
        }
        let whole = Int(value.rounded())
        return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s"
    }
}
