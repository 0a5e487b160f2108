import Foundation
import MockMXScenario
import MockMXVerdicts
import SMTPProtocol

/// What the connection needs of the step being answered, taken from it once in `begin`: reading the step
/// through the executor on every action copied it whole.
struct StepFacts {
    /// The event's name as in `on:`, for the outbound firewall.
    var eventName = ""
    var isGreeting = false
    /// The session ends once the reply is out (QUIT, 421, a synchronization error).
    var closesConnection = false
    /// Why, when the event itself says (QUIT, the idle timeout).
    var endReason: SessionEnd?
    /// An accepted end of data's message, stored before its `2xx` leaves.
    var message: ReceivedMessage?
    /// LMTP's end of a message: the rule deciding each recipient's reply (nil: none), for the transcript.
    var recipientRules: [String?] = []
}

/// The middle of the pipeline: a proposal becomes a plan (the first matching rule's actions, or the
/// default), and the ``PlanExecutor``'s transport actions are performed here one at a time.
extension SMTPConnection {
    func begin(_ next: SMTPStep) {
        // The event's last byte is the one before what the state machine still buffers.
        let consumed = arrivals.total - machine.bufferedByteCount
        var contentArrival: Date?
        switch next.event {
        case .command(verb: "DATA", _, _): contentStart = consumed
        case .dataEnd: contentArrival = arrivals.arrival(ofByteAt: contentStart)
        default: break
        }
        recordInbound(next.event, arrivedAt: arrivals.arrival(ofByteAt: consumed - 1), contentArrivedAt: contentArrival)
        if let upstream, let request = relayRequest(for: next) {
            relay(request, to: upstream, for: next)
        } else {
            plan(next)
        }
    }

    /// The first matching rule's actions (or the default) applied to the step's proposal.
    func plan(_ next: SMTPStep) {
        ruleLabel = nil
        repliedInStep = false
        if !next.recipientReplies.isEmpty { return planRecipients(next) }

        let name = next.event.name
        let rule = firstRule(for: next, named: name)
        let actions: [RuleAction]
        if let rule {
            actions = rule.effectiveActions
            announce(rule)
        } else {
            actions = next.reply == nil ? [] : PlanExecutor.defaultActions
        }
        step = StepFacts(
            eventName: name, isGreeting: next.event == .connect, closesConnection: next.closesConnection,
            endReason: next.event.isQuit ? .clientQuit : next.event == .idle ? .timeout : nil, message: next.message)
        executor = PlanExecutor(
            proposal: next.reply, carriesMessage: step.message != nil, actions: actions,
            enhancedStatusCodes: machine.usesEnhancedStatusCodes)
        state = .executing
        runPlan()
    }

    /// The first rule on the step's event whose conditions hold; nothing is counted or looked up for a
    /// scenario without rules.
    private func firstRule(for next: SMTPStep, named name: String) -> Rule? {
        guard engine.hasRules else { return nil }
        let event = EventName(name)
        let rules = engine.rules(on: event, isUnknownCommand: next.event.isUnknownCommand)
        let (occurrence, messageOccurrence) = countOccurrence(of: event, for: rules)
        guard let rules else { return nil }
        let numbers = EventNumbers(
            sessionNumber: sessionNumber, occurrence: occurrence, messageNumber: machine.messageNumber,
            messageOccurrence: messageOccurrence, bytes: next.event.progressBytes)
        return engine.match(rules, numbers: numbers, arguments: next.event.arguments, helo: machine.helo) {
            RuleEventContext(
                event: name,
                isUnknownCommand: next.event.isUnknownCommand,
                arguments: next.event.arguments,
                helo: machine.helo,
                sessionNumber: sessionNumber,
                occurrence: occurrence,
                messageNumber: machine.messageNumber,
                messageOccurrence: messageOccurrence,
                clientAddress: record.clientAddress,
                bytes: next.event.progressBytes,
                sender: engine.usesEnvelope ? machine.transactionSender : nil,
                recipients: engine.usesEnvelope ? machine.transactionRecipients : nil)
        }
    }

    /// The event's occurrence in the session and in the message when a rule on it counts them (else 0s);
    /// any event may start or end a transaction, which restarts the counts in the message.
    func countOccurrence(of event: EventName, for rules: RulesOnEvent?) -> (session: Int, message: Int) {
        guard engine.countsOccurrences else { return (0, 0) }
        if let rules, rules.countsOccurrences { return occurrences.count(event) }
        occurrences.pass(event)
        return (0, 0)
    }

    /// The rule that decides this step, in the transcript and the metrics.
    func announce(_ rule: Rule) {
        ruleLabel = rule.label
        host.metrics.ruleFired(rule.metricLabel)
        let actions = rule.effectiveActions.map(\.summary).joined(separator: ", ")
        note("\(rule.label) on \(rule.event): \(actions)", rule: rule.label)
        if let greylist = rule.conditions.greylist {
            // What the host asked for, in real time, so the verdicts can tell a retry that came too early. A plain
            // note: the line above already names the rule (the UI draws one box per rule note).
            let milliseconds = engine.clock.real(milliseconds: greylist.delayMilliseconds)
            note(RetryDelayNote.text(seconds: Double(milliseconds) / 1000))
        }
    }

    /// Performs the plan's actions until one waits (delay, trickle) or ends the step.
    func runPlan() {
        while state == .executing, !executor.isFinished {
            let action = executor.next()
            guard perform(action) else { return }
        }
    }

    /// One transport action; false when the plan does not go on at once.
    func perform(_ action: PlanExecutor.TransportAction) -> Bool {
        switch action {
        case .send(let bytes, let code, let trickleMilliseconds):
            return transmit(bytes, code: code, trickleMilliseconds: trickleMilliseconds)
        case .store:
            guard let message = step.message else { return false }
            return store(message, recipientCodes: executor.plannedRecipientCodes)
        case .nextRecipient(let index):
            ruleLabel = step.recipientRules[index]
            return true
        case .wait(let milliseconds):
            wait(engine.clock.real(milliseconds: milliseconds)) { $0.runPlan() }
            return false
        case .withhold where machine.isAwaitingTLS, .stall:
            // Before a handshake withholding is stalling too: the ClientHello is not a line to record.
            let what = machine.isAwaitingTLS ? "the handshake is never answered" : "stalled: the host stops reading"
            note(what, rule: ruleLabel)
            state = .stalled
            transport.stopReading()
            actionTimer.schedule(milliseconds: engine.holdTimeoutMilliseconds) { [unowned self] in
                note("hold limit reached")
                closeReason = .timeout
                startClosing(.fin)
            }
        case .withhold:
            note("withheld: no reply will be sent", rule: ruleLabel)
            state = .withholding
            transport.setReadTimeout(milliseconds: engine.holdTimeoutMilliseconds)
            recordAndDiscardInput()
        case .close(let mode):
            closeReason = mode == .reset ? .resetByRule : .closedByRule
            guard machine.isAwaitingTLS else {
                startClosing(mode)
                return false
            }
            // The handshake is aborted where a broken middlebox aborts it: once the ClientHello arrives.
            state = .abortingHandshake(mode)
            transport.setReadTimeout(milliseconds: engine.idleTimeoutMilliseconds)
        case .commit(let sentCode):
            finishStep(sentCode: sentCode)
        case .startHandshake:
            state = .startingHandshake
            if outputLength == 0 { handshake() }
        }
        return false
    }

    func finishStep(sentCode: Int?) {
        guard state == .executing else { return }  // not when a firewall dropped the connection
        machine.commit(sentCode: sentCode)
        executor = PlanExecutor()
        step.message = nil
        if machine.isAwaitingTLS {
            state = .upgrading
            transport.stopReading()
            if outputLength == 0 { upgradeToTLS() }
            return
        }
        if step.closesConnection {
            if let reason = step.endReason { closeReason = reason }
            startClosing(.fin)
            return
        }
        state = .ready
        if sentCode == 421 {
            // RFC 5321 §3.8: a host that says 421 closes the transmission channel.
            startClosing(.fin)
        }
    }

    /// Puts a reply on the wire through the outbound firewall; false when it trickles and the plan resumes later.
    func transmit(_ bytes: [UInt8], code: Int?, trickleMilliseconds: Int?) -> Bool {
        if step.isGreeting, !repliedInStep {
            // Bytes that arrived before the greeting leaves were sent before it: the state machine must
            // see them as such (strict pipelining refuses a client that talks first).
            kernelReadsLeft = 1
            _ = pullInput()
            guard state == .executing else { return false }  // a firewall dropped the connection
        }
        repliedInStep = true
        recordOutbound(bytes)
        var wire = bytes
        if let passed = firewall?.outbound(bytes, event: step.eventName), passed != bytes {
            note("firewall passed it on as: " + Transcript.printable(passed))
            wire = passed
        }
        if let trickleMilliseconds, !wire.isEmpty {
            trickle(wire[...], interval: engine.clock.real(milliseconds: trickleMilliseconds))
            return false
        }
        write(wire)
        return true
    }

    func trickle(_ bytes: ArraySlice<UInt8>, interval: Int) {
        write([bytes.first!])
        let rest = bytes.dropFirst()
        if rest.isEmpty {
            wait(interval) { $0.runPlan() }
        } else {
            wait(interval) { $0.trickle(rest, interval: interval) }
        }
    }

    func wait(_ milliseconds: Int, then: @escaping (SMTPConnection) -> Void) {
        state = .waiting
        actionTimer.schedule(milliseconds: milliseconds) { [unowned self] in
            // The step may end the session (a delayed 221), and teardown releases the last reference.
            withExtendedLifetime(self) {
                guard state == .waiting else { return }
                state = .executing
                then(self)
                drive()
            }
        }
    }

    /// Keeps the message; true when the plan goes on at once. Its `2xx` leaves only once the message is kept:
    /// with a spool the session waits (input held back) while the spool thread writes, and other sessions go
    /// on meanwhile. LMTP: `recipientCodes` says which recipients it is delivered to.
    func store(_ message: ReceivedMessage, recipientCodes: [Int?]?) -> Bool {
        var stored = StoredMessage(
            message, sessionID: record.id, listener: listener.name, clientAddress: record.clientAddress)
        stored.lmtp = recipientCodes.map {
            MessageEnvelope.RecipientOutcomes(recipients: message.recipients, codes: $0)
        }
        guard host.messages.storesInBackground else {
            do throws(MessageStore.Refusal) {
                try host.messages.store(stored)
                return perform(executor.stored(refusal: outcome(message, refusal: nil)))
            } catch {
                return perform(executor.stored(refusal: outcome(message, refusal: error)))
            }
        }
        state = .waiting
        let connection = LoopBound(self)
        host.messages.store(stored, loop: host.loop) { refusal in
            let this = connection.value
            // The step may end the session, and teardown releases the last reference.
            withExtendedLifetime(this) {
                // A session that ended meanwhile (the client left, or the shutdown's grace ran out) has
                // nothing more to say.
                guard this.state == .waiting else { return }
                this.state = .executing
                if this.perform(this.executor.stored(refusal: this.outcome(message, refusal: refusal))) {
                    this.runPlan()
                }
                this.drive()
            }
        }
        return false
    }

    /// Notes the message kept or refused; the refusal's reply, if any.
    private func outcome(_ message: ReceivedMessage, refusal: MessageStore.Refusal?) -> SMTPReply? {
        if let refusal {
            note("message \(message.id) not kept: \(refusal.reason)")
            return refusal.reply
        }
        record.delivered(message.id)
        appendText(.note) { text in
            text += "message ".utf8
            text += message.id.utf8
            text += " stored: ".utf8
            text.appendDecimal(message.content.count)
            text += " bytes for ".utf8
            text.appendDecimal(message.recipients.count)
            text += " recipient(s)".utf8
        }
        return nil
    }
}
