/// CHUNKING / BDAT (RFC 3030): byte-counted chunks, one reply per chunk, no dot-stuffing.
extension SMTPSessionStateMachine {
    /// `BDAT <size> [LAST]`: the chunk is read (and consumed even when it will be refused) before the reply.
    mutating func bdat(arguments: [UInt8], event: SMTPEvent) -> Proposal? {
        let words = arguments.split(separator: 0x20)
        guard (1...2).contains(words.count), let size = decimal(words[0]),
            words.count == 1 || String(decoding: words[1], as: UTF8.self).uppercased() == "LAST"
        else {
            return .noEffect(event, reply(501, "5.5.4", "Syntax: BDAT size [LAST]"))
        }
        // Content is kept only for a chunk that can be accepted; others are read and dropped.
        if let current = transaction, !current.recipients.isEmpty, current.chunked == nil { transaction?.chunked = [] }
        return nextChunk(announced: size, last: words.count == 2, arguments: arguments, received: 0)
    }

    /// Reads the chunk's bytes (the phase stays `.chunk` until all arrived), then proposes its reply.
    mutating func nextChunk(announced: Int, last: Bool, arguments: [UInt8], received: Int) -> Proposal? {
        let take = min(announced - received, input.count)
        if proxied { keepRelayedChunk(take: take, startingChunk: received == 0) }
        if take > 0, var current = transaction, current.chunked != nil {
            let room = configuration.limits.messageSize - current.chunkedBytes
            if room > 0 {
                // Moved out and back so appending does not copy the whole message (no second reference).
                transaction = nil
                current.chunked!.append(contentsOf: input.bytes(0..<min(take, room)))
            }
            current.chunkedBytes += take
            transaction = current
        }
        input.consume(take)
        guard received + take == announced else {
            phase = .chunk(announced: announced, last: last, arguments: arguments, received: received + take)
            return nil
        }
        phase = .commands
        let event = SMTPEvent.bdatChunk(bytes: announced, last: last, arguments: arguments)
        guard heloName != nil else {
            return .noEffect(event, reply(503, "5.5.1", "Error: send \(greetingVerbs) first"))
        }
        guard let transaction else { return .noEffect(event, reply(503, "5.5.1", "Error: need MAIL command")) }
        guard !transaction.recipients.isEmpty else {
            let code = transaction.rejectedRecipients > 0 && !configuration.isLMTP ? 554 : 503
            let text = code == 554 ? "Error: no valid recipients" : "Error: need RCPT command"
            return .noEffect(event, reply(code, "5.5.1", text))
        }
        // Every reply from here on is about the chunk: a refusal aborts the transaction (`.chunk`).
        if transaction.chunkedBytes > configuration.limits.messageSize {
            let refusal = reply(552, "5.3.4", "Error: message file too big")
            return last
                ? messageEnd(event, refusal: refusal, effect: .chunk(last: true))
                : Proposal(event, refusal, effect: .chunk(last: false))
        }
        guard last else {
            return Proposal(
                event, reply(250, "2.0.0", "Ok: \(announced) octets received"), effect: .chunk(last: last))
        }
        return messageEnd(event, content: transaction.chunked ?? [], effect: .chunk(last: true))
    }
}
