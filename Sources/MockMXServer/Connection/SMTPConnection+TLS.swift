import MockMXScenario
import SMTPProtocol

/// STARTTLS: once the `220` is on the wire the `tls` rule's plan runs through the same executor as every
/// other step, then the transport switches to TLS and the handshake runs.
extension SMTPConnection {
    /// After `220 Ready to start TLS` is on the wire: the `tls` rule's plan, then the handshake.
    func upgradeToTLS() {
        let context = RuleEventContext(
            event: ScenarioEvent.tls, helo: machine.helo, sessionNumber: sessionNumber, occurrence: 1,
            messageNumber: machine.messageNumber, clientAddress: record.clientAddress)
        ruleLabel = nil
        var actions = PlanExecutor.defaultActions
        if let rule = engine.match(context) {
            actions = rule.effectiveActions
            announce(rule)
        }
        step = StepFacts(eventName: ScenarioEvent.tls)
        executor = PlanExecutor(tlsActions: actions)
        state = .executing
        runPlan()
    }

    /// The transport takes TLS over on the same socket. Whatever plaintext the client pipelined after
    /// STARTTLS is dropped unread (CVE-2011-0411).
    func handshake() {
        executor = PlanExecutor()
        heldInput.removeAll()
        guard let tlsContext = try? listener.tlsContext(),
            transport.startTLS(tlsContext, idleTimeoutMilliseconds: engine.idleTimeoutMilliseconds)
        else {
            note("TLS is not available: \(TLSContext.openSSLErrors())")
            closeReason = .tlsFailed
            teardown()
            return
        }
        state = .handshaking
    }

    func handshakeCompleted() {
        guard state == .handshaking else { return }
        note("TLS established: \(transport.tlsDescription ?? "?")")
        state = .ready
        arrivals.restart()
        if !machine.hasGreeted {
            begin(machine.connect())
        } else {
            machine.tlsEstablished()
        }
        drive()
    }
}
