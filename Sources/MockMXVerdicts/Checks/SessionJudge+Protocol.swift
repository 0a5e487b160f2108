/// Checks of how the client paced and framed its side of the dialogue.
extension SessionJudge {
    /// RFC 2920 §3.1: these may be followed by more commands before their reply, when PIPELINING was advertised.
    private static let midGroupVerbs: Set<String> = ["RSET", "MAIL", "RCPT", "BDAT", "SEND", "SOML", "SAML"]

    /// `pipelining.synchronization` and `reply.multiline`: did each command wait for the replies it had to?
    mutating func judgeSynchronization() {
        let commands = dialogue.commands
        var pipelined = 0
        var violation: (entries: [Int], why: String)?
        var multilineRead: [Int] = []
        var multilineViolation: (entries: [Int], why: String)?
        for (index, command) in commands.enumerated() where command.kind != .content && command.kind != .malformed {
            let waitedFor: Dialogue.Reply
            if index == 0 {
                guard let greeting = dialogue.greeting else { continue }
                waitedFor = dialogue.replies[greeting]
            } else {
                let previous = commands[index - 1]
                guard previous.withheldEntry == nil, let reply = dialogue.reply(of: previous) else { continue }
                waitedFor = reply
                if command.time < reply.firstTime {
                    pipelined += 1
                    let advertised = dialogue.extensions(before: command.entry)
                    let allowed = previous.kind == .content || previous.kind == .blob || previous.kind == .chunk
                        || SessionJudge.midGroupVerbs.contains(previous.verb)
                    if violation == nil, advertised?.keywords["PIPELINING"] == nil || !allowed {
                        let earlier = previous.kind == .content ? "the end of data" : previous.verb
                        let why = advertised?.keywords["PIPELINING"] == nil
                            ? "the client sent \(command.verb) before the reply to \(earlier) although the host "
                                + "did not advertise PIPELINING"
                            : "the client sent \(command.verb) before the reply to \(earlier), which must end a "
                                + "pipelined group"
                        violation = ([previous.entry, command.entry, reply.entries[0]], why)
                    }
                    continue
                }
            }
            if index == 0, command.time < waitedFor.firstTime {
                if violation == nil {
                    violation = (
                        [command.entry, waitedFor.entries[0]],
                        "the client sent \(command.verb) before the host's greeting"
                    )
                }
                continue
            }
            guard waitedFor.isMultiline else { continue }
            multilineRead.append(waitedFor.entries.last!)
            if command.time < waitedFor.lastTime, multilineViolation == nil {
                multilineViolation = (
                    [waitedFor.entries[0], command.entry, waitedFor.entries.last!],
                    "the client sent \(command.verb) before the last line of the multi-line \(waitedFor.code) reply"
                )
            }
        }
        let sent = commands.filter { $0.kind != .content && $0.kind != .malformed }.count
        if let violation {
            add(.pipeliningSynchronization, .fail, evidence: violation.entries, violation.why)
        } else if sent > 0 {
            let grouped = pipelined == 0 ? "none sent ahead of a reply" : "\(pipelined) sent ahead in allowed groups"
            add(
                .pipeliningSynchronization, .pass, evidence: [commands[0].entry],
                "all \(sent) commands waited for the replies they had to (\(grouped))")
        }
        if let multilineViolation {
            add(.replyMultiline, .fail, evidence: multilineViolation.entries, multilineViolation.why)
        } else if !multilineRead.isEmpty {
            add(
                .replyMultiline, .pass, evidence: Array(multilineRead.prefix(1)),
                "the client waited for the last line of each multi-line reply (\(multilineRead.count) read)")
        }
    }

    /// `data.waited-for-354`: message content only after the 354 to DATA.
    mutating func judgeDataWaits() {
        for (index, content) in dialogue.commands.enumerated() where content.kind == .content && index > 0 {
            let data = command(index - 1)
            guard data.verb == "DATA", let reply = dialogue.reply(of: data), reply.code == 354 else { continue }
            let message = messageLabel(forContentAt: index)
            if content.time < reply.firstTime {
                add(
                    .dataWaitedFor354, .fail, message: message, evidence: [data.entry, content.entry, reply.entries[0]],
                    "message content arrived before the host's 354 go-ahead to DATA")
            } else {
                add(
                    .dataWaitedFor354, .pass, message: message, evidence: [reply.entries[0], content.entry],
                    "message content started after the 354 go-ahead")
            }
        }
    }

    /// `data.line-endings` and `data.line-length`, from the shape the host noted as the content arrived.
    mutating func judgeContentShape() {
        for (index, content) in dialogue.commands.enumerated() where content.kind == .content && content.endEntry != content.entry {
            let message = messageLabel(forContentAt: index)
            let shape = content.shapeEntry.flatMap { ContentShape(note: dialogue.session.transcript[$0].text) }
            let evidence = [content.entry] + (content.shapeEntry.map { [$0] } ?? [])
            if let shape, shape.bareLineFeeds + shape.bareCarriageReturns > 0 {
                add(
                    .dataLineEndings, .fail, message: message, evidence: evidence,
                    "the content carried \(shape.bareLineFeeds) bare LF and \(shape.bareCarriageReturns) bare CR; "
                        + "SMTP lines end in CRLF only (bare line ends enable SMTP smuggling)")
            } else {
                add(.dataLineEndings, .pass, message: message, evidence: evidence, "every content line ended in CRLF")
            }
            if let shape, shape.longLines > 0 {
                add(
                    .dataLineLength, .fail, message: message, evidence: evidence,
                    "\(shape.longLines) content line(s) exceeded 1000 octets including CRLF "
                        + "(longest \(shape.longestLine))")
            } else {
                add(.dataLineLength, .pass, message: message, evidence: evidence, "no content line exceeded 1000 octets")
            }
        }
    }

    /// `session.quit`: a client ends with QUIT unless the host ended the session or stopped answering.
    mutating func judgeQuit() {
        let session = dialogue.session
        let last = dialogue.commands.last
        if dialogue.isOpen {
            add(.sessionQuit, .pending, evidence: last.map { [$0.entry] } ?? [], "the session is still open")
            return
        }
        let hostGaveUp = dialogue.replies.contains { $0.code == 421 }
            || dialogue.commands.contains { $0.withheldEntry != nil }
        switch session.endReason {
        case "client-quit":
            add(
                .sessionQuit, .pass, evidence: last.map { [$0.entry] } ?? [], "the client ended the session with QUIT")
        case "client-vanished" where !hostGaveUp:
            let end = session.transcript.indices.last.map { [$0] } ?? []
            add(
                .sessionQuit, .fail, evidence: (last.map { [$0.entry] } ?? []) + end,
                "the client closed the connection without sending QUIT")
        default:
            break
        }
    }

    /// `ehlo.fallback`: after EHLO is refused as unknown (500/502), HELO (RFC 5321 §3.2).
    mutating func judgeEHLOFallback() {
        for (index, ehlo) in dialogue.commands.enumerated() where ehlo.verb == "EHLO" {
            guard let reply = dialogue.reply(of: ehlo), reply.code == 500 || reply.code == 502 else { continue }
            let next = dialogue.commands.dropFirst(index + 1).first { $0.kind != .malformed }
            if let next, next.verb == "HELO" {
                add(
                    .ehloFallback, .pass, evidence: [ehlo.entry, reply.entries[0], next.entry],
                    "after EHLO got \(reply.code) the client fell back to HELO")
            } else {
                let what = next.map { "sent \($0.verb.isEmpty ? "something else" : $0.verb)" } ?? "gave up"
                add(
                    .ehloFallback, .fail, evidence: [ehlo.entry, reply.entries[0]] + (next.map { [$0.entry] } ?? []),
                    "after EHLO got \(reply.code) the client \(what) instead of falling back to HELO")
            }
        }
    }
}
