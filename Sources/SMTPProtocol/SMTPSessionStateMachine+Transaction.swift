/// The mail transaction (RFC 5321 §3.3): MAIL, RCPT, DATA, RSET and the end of data.
extension SMTPSessionStateMachine {
    struct Transaction: Sendable {
        var mailFrom: [UInt8]
        var parameters: [SMTPParameter]
        var recipients: [[UInt8]] = []
        var recipientParameters: [[SMTPParameter]] = []
        var rejectedRecipients = 0
        var xexch50: XEXCH50Blob?
        /// BDAT content so far; nil until the first chunk (DATA is refused once BDAT started).
        var chunked: [UInt8]?
        var chunkedBytes = 0

        func hasParameter(_ key: String, value: String? = nil) -> Bool {
            parameters.contains { $0.key == key && (value == nil || $0.value?.uppercased() == value) }
        }
    }

    func mail(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard heloName != nil else {
            return .noEffect(event, reply(503, "5.5.1", "Error: send \(greetingVerbs) first"))
        }
        guard transaction == nil else { return .noEffect(event, reply(503, "5.5.1", "Error: nested MAIL command")) }
        let parsed: SMTPPathArguments
        do {
            parsed = try SMTPPathArguments.parse(arguments, prefix: "FROM:")
        } catch .badAddress {
            return .noEffect(event, reply(501, "5.1.7", "Bad sender address syntax"))
        } catch .badParameter {
            return .noEffect(event, reply(501, "5.5.4", "Bad MAIL parameter syntax"))
        } catch {
            return .noEffect(event, reply(501, "5.5.4", "Syntax: MAIL FROM:<address>"))
        }
        if let refusal = checkMailParameters(parsed.parameters) { return .noEffect(event, refusal) }
        let proposed = Transaction(mailFrom: parsed.path, parameters: parsed.parameters)
        if parsed.path.contains(where: { $0 >= 0x80 }), !proposed.hasParameter("SMTPUTF8") {
            return .noEffect(event, reply(553, "5.6.7", "Error: a non-ASCII address needs SMTPUTF8"))
        }
        return Proposal(event, reply(250, "2.1.0", "Ok"), effect: .mail(proposed))
    }

    func rcpt(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard let transaction else { return .noEffect(event, reply(503, "5.5.1", "Error: need MAIL command")) }
        let parsed: SMTPPathArguments
        do {
            parsed = try SMTPPathArguments.parse(arguments, prefix: "TO:")
        } catch .badParameter {
            return .noEffect(event, reply(501, "5.5.4", "Bad RCPT parameter syntax"))
        } catch .badAddress {
            return .noEffect(event, reply(501, "5.1.3", "Bad recipient address syntax"))
        } catch {
            return .noEffect(event, reply(501, "5.5.4", "Syntax: RCPT TO:<address>"))
        }
        guard !parsed.path.isEmpty else {
            return .noEffect(event, reply(501, "5.1.3", "Bad recipient address syntax"))
        }
        if let refusal = checkRecipientParameters(parsed.parameters) { return .noEffect(event, refusal) }
        if parsed.path.contains(where: { $0 >= 0x80 }), !transaction.hasParameter("SMTPUTF8") {
            return .noEffect(event, reply(553, "5.6.7", "Error: a non-ASCII address needs SMTPUTF8"))
        }
        guard transaction.recipients.count < configuration.limits.recipients else {
            return .noEffect(event, reply(452, "4.5.3", "Error: too many recipients"))
        }
        return Proposal(event, reply(250, "2.1.5", "Ok"), effect: .recipient(parsed.path, parsed.parameters))
    }

    func data(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard arguments.isEmpty else { return .noEffect(event, reply(501, "5.5.4", "Syntax: DATA")) }
        guard let transaction else { return .noEffect(event, reply(503, "5.5.1", "Error: need MAIL command")) }
        guard !transaction.recipients.isEmpty else {
            // RFC 2033 §4.2: in LMTP a DATA with no successful RCPT fails with 503.
            if transaction.rejectedRecipients > 0, !configuration.isLMTP {
                return .noEffect(event, reply(554, "5.5.1", "Error: no valid recipients"))
            }
            return .noEffect(event, reply(503, "5.5.1", "Error: need RCPT command"))
        }
        guard transaction.chunked == nil else {
            return .noEffect(event, reply(503, "5.5.1", "Error: BDAT in progress"))
        }
        guard !transaction.hasParameter("BODY", value: "BINARYMIME") else {
            return .noEffect(event, reply(503, "5.5.1", "Error: BINARYMIME requires BDAT"))
        }
        return Proposal(event, SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"), effect: .data)
    }

    func rset(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        guard arguments.isEmpty else { return .noEffect(event, reply(501, "5.5.4", "Syntax: RSET")) }
        return Proposal(event, reply(250, "2.0.0", "Ok"), effect: .reset)
    }

    private func checkMailParameters(_ parameters: [SMTPParameter]) -> SMTPReply? {
        for parameter in parameters {
            switch parameter.key {
            case "SIZE" where configuration.advertises("SIZE"):
                guard let value = parameter.value, let size = decimal(value.utf8) else {
                    return reply(501, "5.5.4", "Bad SIZE parameter")
                }
                if size > configuration.limits.messageSize {
                    return reply(552, "5.3.4", "Message size exceeds fixed limit")
                }
            case "BODY":
                switch parameter.value?.uppercased() {
                case "7BIT": continue
                case "8BITMIME" where configuration.advertises("8BITMIME"): continue
                case "BINARYMIME" where configuration.advertises("BINARYMIME"): continue
                default: return reply(501, "5.5.4", "Unsupported BODY parameter")
                }
            case "RET" where configuration.advertises("DSN"):
                guard ["FULL", "HDRS"].contains(parameter.value?.uppercased() ?? "") else {
                    return reply(501, "5.5.4", "Bad RET parameter")
                }
            case "SMTPUTF8" where configuration.advertises("SMTPUTF8") && parameter.value == nil,
                "ENVID" where configuration.advertises("DSN") && parameter.value != nil,
                "AUTH" where configuration.advertises("AUTH") && parameter.value != nil:
                continue
            default:
                return reply(555, "5.5.4", "Unsupported option: \(parameter.key)")
            }
        }
        return nil
    }

    private func checkRecipientParameters(_ parameters: [SMTPParameter]) -> SMTPReply? {
        for parameter in parameters {
            switch parameter.key {
            case "NOTIFY" where configuration.advertises("DSN"):
                let values = (parameter.value ?? "").uppercased()
                    .split(separator: ",", omittingEmptySubsequences: false)
                let valid = values == ["NEVER"]
                    || (!values.isEmpty && values.allSatisfy { ["SUCCESS", "FAILURE", "DELAY"].contains($0) })
                guard valid else { return reply(501, "5.5.4", "Bad NOTIFY parameter") }
            case "ORCPT" where configuration.advertises("DSN"):
                guard parameter.value?.contains(";") ?? false else { return reply(501, "5.5.4", "Bad ORCPT parameter") }
            default:
                return reply(555, "5.5.4", "Unsupported option: \(parameter.key)")
            }
        }
        return nil
    }

    // MARK: - End of data

    /// The message of the transaction in progress, with `content`.
    func message(content: [UInt8]) -> ReceivedMessage {
        guard let transaction else { preconditionFailure("a message without a transaction") }
        let id = "\(sessionID).\(acceptedMessages + 1)"
        return ReceivedMessage(
            id: id,
            heloName: heloName.map { String(decoding: $0, as: UTF8.self) },
            mailFrom: String(decoding: transaction.mailFrom, as: UTF8.self),
            mailParameters: transaction.parameters,
            recipients: transaction.recipients.map { String(decoding: $0, as: UTF8.self) },
            recipientParameters: transaction.recipientParameters,
            authenticatedUser: authenticatedUser,
            receivedOverTLS: isTLSActive,
            content: content,
            xexch50: transaction.xexch50)
    }

    /// Every reply ends the transaction (`.dataEnd`); only a positive one counts the message as accepted.
    mutating func endOfData(_ receiver: SMTPDataReceiver) -> Proposal {
        phase = .commands
        lastDataLineFacts = receiver.lineFacts
        let event = SMTPEvent.dataEnd(bytes: receiver.receivedBytes)
        if receiver.isOversize {
            return messageEnd(event, refusal: reply(552, "5.3.4", "Error: message file too big"), effect: .dataEnd)
        }
        if receiver.sawBareLineFeed {
            return messageEnd(
                event, refusal: reply(550, "5.5.2", "\(configuration.hostname) Error: bare <LF> received"),
                effect: .dataEnd)
        }
        return messageEnd(event, content: receiver.content, effect: .dataEnd)
    }

    /// The end of a message (DATA's dot, BDAT LAST): accepted with `content`, or refused. In LMTP every
    /// accepted recipient gets its own reply, in RCPT order (RFC 2033 §4.2), which the step lists.
    func messageEnd(
        _ event: SMTPEvent, content: [UInt8]? = nil, refusal: SMTPReply? = nil, effect: Effect
    ) -> Proposal {
        let accepted = content.map { message(content: $0) }
        let summary = refusal ?? reply(250, "2.0.0", "Ok: queued as \(accepted!.id)")
        var proposal = Proposal(event, summary, effect: effect, message: accepted)
        if configuration.isLMTP, let transaction {
            proposal.step.recipientReplies = transaction.recipients.map { recipient in
                let address = String(decoding: recipient, as: UTF8.self)
                let reply = refusal.map { SMTPReply($0.code, $0.enhancedCode, "<\(address)> \($0.lines[0])") }
                    ?? reply(250, "2.0.0", "<\(address)> Ok: delivered as \(accepted!.id)")
                return RecipientReply(recipient: recipient, reply: reply)
            }
        }
        return proposal
    }

    /// The commands that greet, for error texts.
    var greetingVerbs: String { configuration.isLMTP ? "LHLO" : "HELO/EHLO" }
}
