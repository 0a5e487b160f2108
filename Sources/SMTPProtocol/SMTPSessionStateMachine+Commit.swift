/// Propose/commit: what a proposal would change, and how the reply actually sent decides it.
extension SMTPSessionStateMachine {
    /// What committing a proposal changes, as far as the code actually sent allows.
    ///
    /// The large payloads are boxed (`indirect`): every proposal carries an effect through several returns,
    /// and an inline transaction made each of them a copy of the whole enum.
    enum Effect: Sendable {
        /// Nothing, whatever code is sent: refusals, NOOP, a rule's `250` in place of a syntax error.
        case nothing
        case greeting
        case hello(name: [UInt8])
        indirect case mail(Transaction)
        case recipient([UInt8], [SMTPParameter])
        case data
        case dataEnd
        case xexch50(announced: Int, recipientArgument: Int)
        indirect case xexch50Blob(XEXCH50Blob)
        case reset
        case startTLS
        /// A `334` challenge: a positive commit continues the exchange.
        indirect case authChallenge(SMTPAuthExchange)
        /// The exchange's verdict: a positive commit authenticates `user`.
        case authVerdict(user: String?)
        case chunk(last: Bool)
        /// Proxy mode: a `3xx` continues the relayed exchange, a `2xx` authenticates.
        indirect case authRelayed(SMTPRelayedAuth)
    }

    /// A proposed step with the effect its commit would have. Every handler returns one, so a reply
    /// cannot be proposed without deciding what it changes.
    struct Proposal {
        var step: SMTPStep
        var effect: Effect

        init(
            _ event: SMTPEvent, _ reply: SMTPReply?, effect: Effect, closesConnection: Bool = false,
            message: ReceivedMessage? = nil
        ) {
            step = SMTPStep(event: event, reply: reply, closesConnection: closesConnection, message: message)
            self.effect = effect
        }

        /// A reply whose commit changes nothing.
        static func noEffect(_ event: SMTPEvent, _ reply: SMTPReply?, closesConnection: Bool = false) -> Proposal {
            Proposal(event, reply, effect: .nothing, closesConnection: closesConnection)
        }
    }

    /// Records the reply that actually went out for the last step: its code, or nil when nothing
    /// was sent (withheld) — then nothing the proposal would have changed takes effect.
    public mutating func commit(sentCode: Int?) {
        guard let effect = pending.take() else { preconditionFailure("commit without a step") }
        let positive = sentCode.map { (200...399).contains($0) } ?? false
        let intermediate = sentCode.map { (300...399).contains($0) } ?? false
        switch effect {
        case .nothing:
            break
        case .greeting:
            guard case .awaitingGreeting = phase else { return }
            switch sentCode {
            case .some(200...299): phase = .commands
            case .some(500...599): phase = .refused
            case .some: phase = .closed
            case nil: phase = .commands
            }
        case .hello(let name):
            if positive {
                heloName = name
                transaction = nil
            }
        case .mail(let proposed):
            if positive { transaction = proposed }
        case .recipient(let path, let parameters):
            if positive {
                transaction?.recipients.append(path)
                transaction?.recipientParameters.append(parameters)
            } else {
                transaction?.rejectedRecipients += 1
            }
        case .data:
            if intermediate {
                phase = .data(
                    SMTPDataReceiver(
                        mode: configuration.lineEndings, sizeLimit: configuration.limits.messageSize,
                        marks: dataProgressMarks))
            }
        case .dataEnd:
            // The transaction ends with the end of data whatever the reply (RFC 5321 §4.1.1.4).
            if positive { acceptedMessages += 1 }
            transaction = nil
        case .xexch50(let announced, let recipientArgument):
            if intermediate {
                phase = .blob(announced: announced, recipientArgument: recipientArgument, received: [])
            }
        case .xexch50Blob(let blob):
            if positive { transaction?.xexch50 = blob }
        case .reset:
            if positive { transaction = nil }
        case .startTLS:
            if positive {
                phase = .awaitingTLS
                // Plaintext pipelined after STARTTLS must not reach the TLS session (CVE-2011-0411).
                input.removeAll()
            }
        case .authChallenge(let exchange):
            if intermediate { phase = .authenticating(exchange) }
        case .authVerdict(let user):
            if positive { authenticatedUser = user }
        case .authRelayed(let exchange):
            if intermediate {
                phase = .relayingAuth(exchange)
            } else if positive {
                authenticatedUser = exchange.username ?? "(\(exchange.mechanism) via upstream)"
            }
        case .chunk(let last):
            // A refused chunk aborts the transaction (RFC 3030 §4.2); LAST ends it either way.
            if positive, last { acceptedMessages += 1 }
            if !positive || last { transaction = nil }
        }
    }
}
