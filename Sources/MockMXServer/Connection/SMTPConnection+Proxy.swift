import Foundation
import MockMXScenario
import SMTPProtocol

/// Proxy mode: a step the upstream host must answer waits for its reply, which then replaces the state
/// machine's proposal before the scenario's rules act on it — the same plan, only another proposer. Every
/// command is relayed — AUTH with each response line, XEXCH50 with its blob, BDAT with its chunk — except
/// STARTTLS (each leg negotiates its own) and what the session refuses itself: malformed lines, content over
/// the scenario's size limit, BDAT when the upstream did not offer CHUNKING, the idle timeout.
extension SMTPConnection {
    enum UpstreamRequest {
        /// Connect and read the greeting.
        case connect
        /// A line (or a counted chunk's header), then content the upstream's output buffer refers to.
        case send([UInt8], content: [UInt8])
    }

    /// STARTTLS ends at mockmx; a BDAT reaches here as a command only when CHUNKING was not offered (the
    /// upstream lacked it), and its chunk would reach the upstream as command lines.
    private static let localVerbs: Set<String> = ["STARTTLS", "BDAT"]

    /// What the upstream is asked for this step; nil when the local proposal stands.
    func relayRequest(for step: SMTPStep) -> UpstreamRequest? {
        switch step.event {
        case .connect:
            return .connect
        case .command(let verb, let arguments, _):
            if Self.localVerbs.contains(verb) { return nil }
            return commandRequest(Self.line(verb, arguments), verb: verb)
        case .authResponse(let line):
            return .send(line + [0x0D, 0x0A], content: [])
        case .xexch50Blob:
            return .send([], content: machine.takeRelayedContent())
        case .bdatChunk(let bytes, _, let arguments):
            let chunk = machine.takeRelayedContent()
            guard chunk.count == bytes else {
                upstream?.close(because: "the chunk was refused here, so the upstream session was dropped")
                note("the chunk was refused here (size limit); the upstream session was dropped")
                return nil
            }
            return .send(Self.line("BDAT", arguments), content: chunk)
        case .dataEnd:
            guard let message = step.message else {
                // The scenario refused the content (size, bare LF): the upstream, still inside DATA, must
                // not get a message — its session is dropped, so it discards what it has.
                upstream?.close(because: "the message was refused here, so the upstream session was dropped")
                note("the message was refused here; the upstream session was dropped before its end of data")
                return nil
            }
            return .send([], content: Self.dataTransfer(message.content))
        default:
            return nil
        }
    }

    /// A command line as the upstream gets it. When the upstream and the session both offer PIPELINING, a MAIL,
    /// RCPT or RSET takes the rest of the client's pipelined group along in the same write (RFC 2920: one
    /// round trip for the group, not one per command); each of those steps then only reads its reply.
    private func commandRequest(_ line: [UInt8], verb: String) -> UpstreamRequest? {
        guard let upstream else { return nil }
        if !upstream.sentAhead.isEmpty {
            guard upstream.sentAhead.removeFirst() == line else {
                // Cannot happen while the session reads what was peeked; if it did, the upstream's replies
                // would answer other commands, so its session is given up.
                upstream.close(because: "the pipelined group was read differently than it was relayed")
                return .send(line, content: [])
            }
            return .send([], content: [])
        }
        guard upstream.offersPipelining, ["MAIL", "RCPT", "RSET"].contains(verb),
            machine.configuration.advertises("PIPELINING")
        else { return .send(line, content: []) }
        let ahead = machine.pipelinedLines().map(Self.normalized)
        guard !ahead.isEmpty else { return .send(line, content: []) }
        upstream.sentAhead = ahead
        note("relaying \(ahead.count) pipelined command(s) along with \(verb) to upstream \(upstream.settings.address)")
        return .send(line + ahead.joined(), content: [])
    }

    /// A raw line (with its CRLF) as ``line(_:_:)`` makes it from the event the session will read from it.
    private static func normalized(_ raw: [UInt8]) -> [UInt8] {
        let body = raw.dropLast(2)
        let space = body.firstIndex(of: 0x20) ?? body.endIndex
        let verb = String(decoding: body[..<space].map(ASCII.uppercased), as: UTF8.self)
        return line(verb, space < body.endIndex ? Array(body[(space + 1)...]) : [])
    }

    private static func line(_ verb: String, _ arguments: [UInt8]) -> [UInt8] {
        var line = Array(verb.utf8)
        line.reserveCapacity(line.count + arguments.count + 3)
        if !arguments.isEmpty {
            line.append(0x20)
            line += arguments
        }
        line += [0x0D, 0x0A]
        return line
    }

    /// Sends the request and holds the session (input is held back, as during a delay) until the outcome.
    func relay(_ request: UpstreamRequest, to upstream: UpstreamLink, for step: SMTPStep) {
        state = .waiting
        let lostBefore = upstream.failure != nil
        let resume: (UpstreamLink.Outcome) -> Void = { [unowned self] outcome in
            // The step may end the session, and teardown releases the last reference.
            withExtendedLifetime(self) {
                guard state == .waiting else { return }
                if case .reply(let reply) = outcome {
                    noteUpstream(reply)
                    if step.event.isEHLO, upstream.settings.startTLS, !upstream.offeredTLS, reply.code == 250,
                       reply.lines.dropFirst().contains(where: { $0.uppercased() == "STARTTLS" }) {
                        return secureUpstream(upstream, answering: step, plainReply: reply)
                    }
                }
                answer(step, with: outcome, lostBefore: lostBefore)
            }
        }
        switch request {
        case .connect:
            upstream.connect(then: resume)
        case .send(let line, let content):
            if !content.isEmpty {
                note("relaying \(content.count) bytes of \(step.event.name) content to upstream \(upstream.settings.address)")
            }
            upstream.send(line, content: content, then: resume)
        }
    }

    /// The plan for the step, with the outcome as its proposal; the session goes on.
    private func answer(_ step: SMTPStep, with outcome: UpstreamLink.Outcome, lostBefore: Bool) {
        state = .executing
        plan(proposal(from: outcome, for: step, lostBefore: lostBefore))
        drive()
    }

    /// The upstream offered STARTTLS in its EHLO reply: its leg goes over TLS (STARTTLS, handshake), then the
    /// client's EHLO is sent again and that reply is the proposal. Refused, the plain EHLO reply stands.
    private func secureUpstream(_ upstream: UpstreamLink, answering step: SMTPStep, plainReply: SMTPReply) {
        upstream.offeredTLS = true
        let finish: (UpstreamLink.Outcome) -> Void = { [unowned self] outcome in
            withExtendedLifetime(self) {
                guard state == .waiting else { return }
                if case .reply(let reply) = outcome { noteUpstream(reply) }
                answer(step, with: outcome, lostBefore: false)
            }
        }
        upstream.startTLS { [unowned self] outcome in
            withExtendedLifetime(self) {
                guard state == .waiting else { return }
                switch outcome {
                case .reply(let reply) where reply.code == 220:
                    noteUpstream(reply)
                    note("TLS toward upstream established: \(upstream.tlsDescription)")
                    guard case .send(let ehlo, _)? = relayRequest(for: step) else { return }
                    upstream.send(ehlo, content: [], then: finish)
                case .reply(let refusal):
                    noteUpstream(refusal)
                    note("upstream refused STARTTLS; its leg stays plain")
                    answer(step, with: .reply(plainReply), lostBefore: false)
                case .failed:
                    answer(step, with: outcome, lostBefore: false)
                }
            }
        }
    }

    /// Each line the upstream sent, as a note.
    private func noteUpstream(_ reply: SMTPReply) {
        reply.encoded(enhancedStatusCodes: false).withUnsafeBufferPointer { bytes in
            Transcript.forEachLine(bytes) { line in
                appendText(.note) { text in
                    text += "upstream said: ".utf8
                    text += line
                }
            }
        }
    }

    /// The step with the upstream's reply (or a relay's failure reply) as its proposal.
    /// `lostBefore`: the upstream session was gone before this step (not lost while answering it).
    private func proposal(from outcome: UpstreamLink.Outcome, for step: SMTPStep, lostBefore: Bool) -> SMTPStep {
        var step = step
        let address = upstream?.settings.address.description ?? "?"
        switch outcome {
        case .reply(let reply):
            step.reply = step.event.isEHLO ? offeredExtensions(reply, local: step.reply) : reply
        case .failed(let reason):
            if !lostBefore { note("upstream \(address) failed: \(reason)") }
            let hostname = machine.configuration.hostname
            if step.event == .connect {
                step.reply = SMTPReply(421, "4.4.1", "\(hostname) Upstream host \(address) not reachable: \(reason)")
            } else if step.event.isQuit {
                step.reply = SMTPReply(221, "2.0.0", "Bye")
            } else if lostBefore {
                // A relay with no upstream left cannot serve the session any more: 421 closes it.
                step.reply = SMTPReply(421, "4.4.1", "\(hostname) Upstream host \(address) unavailable: \(reason)")
            } else {
                step.reply = SMTPReply(451, "4.4.2", "\(hostname) Upstream host \(address) failed: \(reason)")
            }
        }
        return step
    }

    /// The upstream's EHLO reply as the client is offered it: its keywords, less those mockmx does not
    /// relay, become the session's extensions; a scenario's own `extensions:` replace them (a rewriting
    /// middlebox). STARTTLS stays (mockmx terminates it) unless the client's TLS is already up.
    private func offeredExtensions(_ reply: SMTPReply, local: SMTPReply?) -> SMTPReply {
        guard reply.code == 250 else { return reply }
        upstream?.offersPipelining = reply.lines.dropFirst().contains { $0.uppercased() == "PIPELINING" }
        if engine.scenario.extensionsGiven, let local {
            return SMTPReply(code: 250, lines: [reply.lines[0]] + local.lines.dropFirst())
        }
        var kept: [String] = []
        var dropped: [String] = []
        for keyword in reply.lines.dropFirst() {
            if machine.isTLSActive, keyword.uppercased() == "STARTTLS" {
                dropped.append(keyword)
            } else {
                kept.append(keyword)
            }
        }
        if upstream?.offeredTLS == true, !machine.isTLSActive, !kept.contains(where: { $0.uppercased() == "STARTTLS" }) {
            // The upstream offered it before its own TLS began: the client is offered mockmx's.
            kept.append("STARTTLS")
        }
        if !dropped.isEmpty { note("not offered to the client (its TLS is already up): " + dropped.joined(separator: ", ")) }
        machine.adoptExtensions(kept)
        return SMTPReply(code: 250, lines: [reply.lines[0]] + kept)
    }

    /// A message's content as DATA carries it: dot-stuffed (RFC 5321 §4.5.2), ending in CRLF, then the
    /// lone dot. The one copy the proxy makes of relayed content.
    static func dataTransfer(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + content.count / 64 + 5)
        var atLineStart = true
        for byte in content {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 0x0A
        }
        if !content.isEmpty, !atLineStart { out += [0x0D, 0x0A] }
        out += [UInt8(ascii: "."), 0x0D, 0x0A]
        return out
    }
}

extension SMTPEvent {
    var isEHLO: Bool {
        if case .command("EHLO", _, _) = self { true } else { false }
    }
}
