/// XEXCH50 as Exchange answers it (docs/wire-facts.md, "XEXCH50"): a byte-counted binary blob attached to
/// the transaction, announced with its size and the recipient count the sender saw.
extension SMTPSessionStateMachine {
    /// `XEXCH50 <size> <recipients>`: a `354` commit starts reading the blob.
    func xexch50(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        if proxied, let relayed = relayedXEXCH50(arguments: arguments, event: event) { return relayed }
        guard heloName != nil, let transaction else {
            return .noEffect(event, reply(503, "5.5.2", "Need mail command"))
        }
        guard !transaction.recipients.isEmpty else { return .noEffect(event, reply(503, "5.5.2", "Need rcpt command")) }
        let words = arguments.split(separator: 0x20)
        guard words.count == 2, let size = decimal(words[0]), let recipientArgument = decimal(words[1]),
            size > 4, size <= 64 << 20
        else {
            return .noEffect(event, reply(501, "5.5.4", "XEXCH50 Invalid command format"))
        }
        guard transaction.xexch50 == nil else {
            return .noEffect(event, reply(503, "5.5.2", "XEXCH50 already received for this message"))
        }
        return Proposal(
            event, SMTPReply(354, nil, "Send binary data"),
            effect: .xexch50(announced: size, recipientArgument: recipientArgument))
    }

    /// The announced blob arrived: back to commands; a positive commit attaches it to the transaction.
    mutating func endOfBlob(_ blob: XEXCH50Blob) -> Proposal {
        phase = .commands
        if proxied { relayedContent = blob.bytes }
        return Proposal(
            .xexch50Blob(bytes: blob.bytes.count), reply(250, "2.0.0", "XEXCH50 OK"), effect: .xexch50Blob(blob))
    }
}
