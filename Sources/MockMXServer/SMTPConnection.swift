import CLibEvent
import Foundation
import MockMXScenario
import SMTPProtocol

/// One client connection: a socket feeding the session state machine, the scenario engine turning each
/// proposal into a plan, and this class executing the plan (replies, delays, withholding, closes).
/// Plain connections use a ``ClientSocket``; TLS ones a `bufferevent_openssl`.
/// Confined to the loop thread. libevent holds one +1 retain from setup until teardown.
///
/// Its mutable state is `@exclusivity(unchecked)`: the runtime's dynamic exclusivity checks on every
/// access to a class property were 13% of the instructions per message (callgrind), and this state is
/// only touched from the loop thread by this class's own straight-line code.
final class SMTPConnection {
    private enum State: Equatable {
        /// Waiting for input; the next event is parsed as soon as it is complete.
        case ready
        /// Running a plan's actions.
        case executing
        /// A delay or a trickled reply is in progress; input waits in the bufferevent.
        case waiting
        /// A rule withheld the answer: input is read and recorded, never answered.
        case withholding
        /// A rule stopped reading: the client's TCP window fills.
        case stalled
        /// STARTTLS was answered; the `tls` plan waits until the `220` is on the wire.
        case upgrading
        /// The `tls` plan is done; the handshake starts once what it sent is on the wire.
        case startingHandshake
        /// The TLS handshake runs (after STARTTLS, or first thing on an implicit-TLS listener).
        case handshaking
        /// A `tls` rule aborts the handshake: once the ClientHello arrives, the connection is closed.
        case abortingHandshake(CloseMode)
        /// Closing once the output is on the wire.
        case closing
        case closed
    }

    private typealias CloseMode = PlanExecutor.CloseMode

    let record: SessionRecord
    private unowned let host: HostRuntime
    private let listener: SMTPListener
    private let engine: ScenarioEngine
    /// The plain connection; nil once TLS took over the socket.
    @exclusivity(unchecked) private var socket: ClientSocket?
    /// The TLS connection (implicit TLS, or after STARTTLS).
    @exclusivity(unchecked) private var bufferEvent: OpaquePointer?
    /// What a plain client sent while a step was in progress (a delay, a trickle), read so that a client
    /// that goes away is noticed at once, as a bufferevent would; handed to the session when it is ready.
    @exclusivity(unchecked) private var heldInput: [UInt8] = []
    /// A read saw the client's end (true: an error, false: it closed): nothing more will come.
    @exclusivity(unchecked) private var clientEnded: Bool?
    /// Kernel reads left in this pass of `drive`. Replies leave at once, so a fast client's next
    /// commands are often there already: without a bound one busy session would keep the loop from
    /// every other connection and the control API.
    @exclusivity(unchecked) private var kernelReadsLeft = 0
    @exclusivity(unchecked) private var machine: SMTPSessionStateMachine
    /// The scenario's middlebox between the client and the host, if it has one.
    @exclusivity(unchecked) private var firewall: FirewallFilter?
    private let sessionNumber: Int
    /// A handler watches transcript entries live, so each needs its `String`; otherwise lines go to the
    /// log as bytes.
    private let transcriptWatched: Bool
    @exclusivity(unchecked) private var state = State.ready
    @exclusivity(unchecked) private var closeMode = CloseMode.fin
    @exclusivity(unchecked) private var closeReason = SessionEnd.protocolClose

    // The step being executed (nil for the `tls` plan, which follows a committed STARTTLS) and its plan.
    @exclusivity(unchecked) private var step: SMTPStep?
    @exclusivity(unchecked) private var executor: PlanExecutor?
    /// Whether this step has sent anything yet: the greeting reads pre-greeting input just before it leaves.
    @exclusivity(unchecked) private var repliedInStep = false
    @exclusivity(unchecked) private var ruleLabel: String?
    /// How often each event happened in this session (`nth:`): a handful of names, so a list costs less
    /// memory and time than a dictionary.
    @exclusivity(unchecked) private var occurrences: [(event: String, count: Int)] = []
    @exclusivity(unchecked) private var shutdownRequested = false

    private lazy var actionTimer = LoopTimer(loop: host.loop)
    @exclusivity(unchecked) private var retainedByLibevent: Unmanaged<SMTPConnection>?

    /// Bytes pulled into the state machine at a time; bounds per-session buffering.
    private static let inputChunk = 65_536
    /// Input read ahead while a step is in progress (a plain socket's `heldInput`, a TLS bufferevent's
    /// read watermark); beyond it the host stops reading (TCP back-pressure).
    private static let heldInputLimit = 256 * 1024
    /// A client that reads nothing while pipelining commands: beyond this much unsent output it is dropped.
    private static let outputLimit = 1 << 20

    init(host: HostRuntime, listener: SMTPListener, fd: Int32, clientAddress: String, sessionID: String) {
        self.host = host
        self.listener = listener
        self.engine = listener.engine
        self.sessionNumber = engine.beginSession()
        self.transcriptWatched = host.configuration.transcriptHandler != nil
        self.record = SessionRecord(
            id: sessionID, listener: listener.name, scenario: engine.scenario.name, clientAddress: clientAddress,
            maxEntries: host.configuration.transcriptLimit)
        var machine = SMTPSessionStateMachine(configuration: engine.scenario.host, sessionID: sessionID)
        machine.dataProgressMarks = engine.scenario.rules.compactMap { $0.conditions.bytes }
        self.machine = machine
        self.firewall = engine.scenario.firewall.map(FirewallFilter.init(configuration:))

        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if listener.implicitTLS {
            bufferEvent = makeTLSBufferEvent(fd: fd)
            if bufferEvent == nil { close(fd) }
        } else {
            // The callbacks get this object's address; libevent's retain is taken in `start`, before reading.
            socket = ClientSocket(
                base: host.loop.base, fd: fd, context: Unmanaged.passUnretained(self).toOpaque(),
                onReadable: { _, events, context in
                    Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().socketReadable(events)
                },
                onWritable: { _, _, context in
                    Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().socketWritable()
                })
        }
    }

    /// Installs the callbacks and sends the greeting (or runs the `connect` rule).
    func start() {
        guard socket != nil || bufferEvent != nil else {
            note("TLS is not available on this listener: \(TLSContext.openSSLErrors())")
            closeReason = .tlsFailed
            host.connectionClosed(self, reason: closeReason)
            return
        }
        retainedByLibevent = Unmanaged.passRetained(self)
        installCallbacks()
        note("connect from \(record.clientAddress) to \(listener.name) (scenario \(engine.scenario.name))")
        if listener.implicitTLS {
            // The greeting waits for the handshake (RFC 8314 §3.3).
            machine.startedWithTLS()
            state = .handshaking
            return
        }
        begin(machine.connect())
        drive()
    }

    private func installCallbacks() {
        guard let retained = retainedByLibevent else { return }
        if socket != nil {
            socket?.startReading(timeoutMilliseconds: engine.scenario.timeouts.idleMilliseconds)
            return
        }
        guard let bufferEvent else { return }
        bufferevent_setcb(
            bufferEvent,
            { _, context in Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().readable() },
            { _, context in Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().writable() },
            { _, events, context in
                Unmanaged<SMTPConnection>.fromOpaque(context!).takeUnretainedValue().socketEvent(events)
            },
            retained.toOpaque())
        bufferevent_setwatermark(bufferEvent, Int16(EV_READ), 0, SMTPConnection.heldInputLimit)
        setReadTimeout(milliseconds: engine.scenario.timeouts.idleMilliseconds)
        bufferevent_enable(bufferEvent, Int16(EV_READ | EV_WRITE))
    }

    /// Withheld or stalled by a rule: the client waits for an answer that does not come.
    var isHeld: Bool { state == .withholding || state == .stalled }

    // MARK: - libevent callbacks

    private func readable() {
        switch state {
        case .ready:
            drive()
        case .withholding:
            recordAndDiscardInput()
        case .closing, .closed:
            discardInput()
        case .abortingHandshake(let mode):
            discardInput()
            note("ClientHello received; aborting the handshake")
            startClosing(mode)
        case .executing where !machine.isAwaitingTLS, .waiting where !machine.isAwaitingTLS:
            holdInput()
        case .executing, .waiting, .stalled, .upgrading, .startingHandshake, .handshaking:
            // The client's bytes stay in the kernel: a stall fills its TCP window, and after STARTTLS the
            // ClientHello is for the TLS connection. (A bufferevent has stopped reading already.)
            socket?.stopReading()
        }
    }

    /// A plain socket's read event: input, or no input for the read timeout.
    private func socketReadable(_ events: Int16) {
        if events & Int16(EV_TIMEOUT) != 0 {
            readTimedOut()
        } else {
            readable()
        }
    }

    /// A plain socket's write event: queued output can move, or a send failed.
    private func socketWritable() {
        switch socket?.flush() {
        case .drained: writable()
        case .failed: connectionEnded(error: true)
        case .pending, nil: break
        }
    }

    private func writable() {
        switch state {
        case .closing:
            if outputLength == 0 { teardown() }
        case .upgrading:
            if outputLength == 0 { upgradeToTLS() }
        case .startingHandshake:
            if outputLength == 0 { handshake() }
        case .ready:
            drive()
        default:
            break
        }
    }

    private func socketEvent(_ events: Int16) {
        if events & Int16(BEV_EVENT_CONNECTED) != 0 {
            handshakeCompleted()
            return
        }
        if events & Int16(BEV_EVENT_TIMEOUT) != 0 {
            readTimedOut()
            return
        }
        if events & Int16(BEV_EVENT_EOF | BEV_EVENT_ERROR) != 0 {
            connectionEnded(error: events & Int16(BEV_EVENT_EOF) == 0)
        }
    }

    /// No input for the read timeout: the idle timeout, or the hold limit of a withheld session.
    private func readTimedOut() {
        // A bufferevent stops reading when its timeout fires; a session that goes on must read again.
        if let bufferEvent, state != .withholding, state != .handshaking {
            bufferevent_enable(bufferEvent, Int16(EV_READ))
        }
        switch state {
        case .ready:
            begin(machine.idleTimeout())
            drive()
        case .withholding:
            note("hold limit reached")
            closeReason = .timeout
            startClosing(.fin)
        case .handshaking:
            note("TLS handshake timed out")
            closeReason = .timeout
            teardown()
        default:
            break
        }
    }

    /// The client closed the connection (`error`: it failed) or the TLS handshake did.
    private func connectionEnded(error: Bool) {
        if state == .handshaking {
            note("TLS handshake failed: \(tlsErrors())")
            closeReason = .tlsFailed
        } else if state != .closing {
            closeReason = .clientVanished
            note(error ? "connection error" : "client closed the connection")
        }
        if !error, socket != nil, outputLength > 0, state != .closed {
            // A client that closed only its sending side still reads the replies queued for it; the
            // connection is torn down once they are on the wire.
            state = .closing
            machine.close()
            actionTimer.cancel()
            socket?.stopReading()
            return
        }
        teardown()
    }

    // MARK: - Processing

    /// Parses and executes events while input is complete and nothing is pending.
    private func drive() {
        kernelReadsLeft = 1
        socket?.cork()
        defer { uncork() }
        while state == .ready {
            if outputLength > SMTPConnection.outputLimit {
                note("client is not reading its replies; dropping the session")
                closeReason = .outputOverflow
                teardown()
                return
            }
            // Shutting down: a session whose message is complete is told 421 before any command it
            // pipelined after the dot is answered, so no new transaction starts during the grace period.
            if shutdownRequested, !machine.isReceivingContent {
                sayShuttingDown()
                return
            }
            if let next = machine.nextStep() {
                begin(next)
                continue
            }
            if pullInput() == 0 {
                if let error = clientEnded {
                    connectionEnded(error: error)
                } else if socket?.isReading == false {
                    // Reading stopped while input was held back during a step.
                    socket?.startReading(timeoutMilliseconds: engine.scenario.timeouts.idleMilliseconds)
                }
                break
            }
        }
    }

    /// Sends the replies `drive` queued, in one send; what needed the output drained happens now.
    private func uncork() {
        switch socket?.uncork() {
        case .drained?:
            if state == .closing {
                teardown()
            } else if state == .upgrading {
                upgradeToTLS()
            } else if state == .startingHandshake {
                handshake()
            }
        case .failed?:
            connectionEnded(error: true)
        case .pending?, nil:
            break
        }
    }

    /// Moves up to one chunk of the client's input into the state machine; returns the bytes moved.
    private func pullInput() -> Int {
        if socket != nil { return pullFromSocket() }
        guard let input = bufferevent_get_input(bufferEvent) else { return 0 }
        let available = evbuffer_get_length(input)
        guard available > 0 else { return 0 }
        let take = min(available, SMTPConnection.inputChunk)
        guard let bytes = evbuffer_pullup(input, take) else { return 0 }
        let chunk = UnsafeBufferPointer(start: bytes, count: take)
        if firewall == nil {
            feed(chunk)
            evbuffer_drain(input, take)
        } else {
            // Copied first: the firewall may drop the connection, which frees the buffer.
            let copy = Array(chunk)
            evbuffer_drain(input, take)
            copy.withUnsafeBufferPointer { feed($0) }
        }
        return take
    }

    /// Input held during a step first, then one read from the kernel.
    private func pullFromSocket() -> Int {
        if !heldInput.isEmpty {
            // Taken out before it is fed: the session must not see `heldInput` change under it.
            let held = Array(heldInput.prefix(SMTPConnection.inputChunk))
            heldInput.removeFirst(held.count)
            held.withUnsafeBufferPointer { feed($0) }
            return held.count
        }
        guard kernelReadsLeft > 0 else { return 0 }  // the read event fires again on the next loop pass
        kernelReadsLeft -= 1
        switch socket?.read(into: host.loop.readBuffer) {
        case .data(let bytes):
            feed(bytes)
            return bytes.count
        case .ended(let error):
            clientEnded = error
            return 0
        case .wouldBlock, nil:
            return 0
        }
    }

    /// Hands the client's bytes to the session, through the firewall when there is one.
    private func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        host.metrics.bytesReceived(chunk.count)
        if firewall == nil {
            machine.receive(chunk)
        } else {
            passThroughFirewall(Array(chunk))
        }
    }

    /// While a step is in progress: reads what the client sends into `heldInput`, up to its bound.
    private func holdInput() {
        guard socket != nil else { return }  // a bufferevent holds it in its own buffer
        switch socket?.read(into: host.loop.readBuffer) {
        case .data(let bytes):
            heldInput.append(contentsOf: bytes)
            if heldInput.count >= SMTPConnection.heldInputLimit { socket?.stopReading() }
        case .ended(let error):
            connectionEnded(error: error)
        case .wouldBlock, nil:
            break
        }
    }

    private func passThroughFirewall(_ chunk: [UInt8]) {
        guard let filtered = firewall?.inbound(chunk) else { return }
        for line in filtered.commandLines {
            line.sent.withUnsafeBufferPointer { Transcript.forEachLine($0) { appendLine(.client, $0) } }
        }
        for text in filtered.notes { note(text) }
        machine.receive(filtered.bytes)
        if let reason = filtered.dropReason {
            note("firewall dropped the connection: \(reason)")
            closeReason = .droppedByFirewall
            closeMode = .reset
            state = .closing
            teardown()
        }
    }

    private func begin(_ next: SMTPStep) {
        recordInbound(next.event)
        step = next
        ruleLabel = nil
        repliedInStep = false

        let name = next.event.name
        let occurrence: Int
        if let index = occurrences.firstIndex(where: { $0.event == name }) {
            occurrences[index].count += 1
            occurrence = occurrences[index].count
        } else {
            occurrences.append((name, 1))
            occurrence = 1
        }
        let context = RuleEventContext(
            event: name,
            isUnknownCommand: next.event.isUnknownCommand,
            arguments: next.event.arguments,
            helo: machine.helo,
            sessionNumber: sessionNumber,
            occurrence: occurrence,
            messageNumber: machine.messageNumber,
            clientAddress: record.clientAddress,
            bytes: next.event.progressBytes)
        let actions: [RuleAction]
        if let rule = engine.match(context) {
            actions = rule.effectiveActions
            announce(rule)
        } else {
            actions = next.reply == nil ? [] : PlanExecutor.defaultActions
        }
        executor = PlanExecutor(step: next, actions: actions, enhancedStatusCodes: machine.usesEnhancedStatusCodes)
        state = .executing
        runPlan()
    }

    /// The rule that decides this step, in the transcript and the metrics.
    private func announce(_ rule: Rule) {
        let label = "rule \(rule.index) (\(rule.location)) on \(rule.event)"
        ruleLabel = label
        host.metrics.ruleFired(label)
        note("\(label): \(rule.effectiveActions.map(\.summary).joined(separator: ", "))", rule: label)
    }

    /// Performs the plan's actions until one waits (delay, trickle) or ends the step.
    private func runPlan() {
        while state == .executing, let action = executor?.next() {
            guard perform(action) else { return }
        }
    }

    /// One transport action; false when the plan does not go on at once.
    private func perform(_ action: PlanExecutor.TransportAction) -> Bool {
        switch action {
        case .send(let bytes, let code, let trickleMilliseconds):
            return transmit(bytes, code: code, trickleMilliseconds: trickleMilliseconds)
        case .store(let message):
            guard let next = executor?.stored(storeMessage(message)) else { return false }
            return perform(next)
        case .wait(let milliseconds):
            wait(milliseconds) { $0.runPlan() }
            return false
        case .withhold where machine.isAwaitingTLS, .stall:
            // Before a handshake withholding is stalling too: the ClientHello is not a line to record.
            note(machine.isAwaitingTLS ? "the handshake is never answered" : "stalled: the host stops reading", rule: ruleLabel)
            state = .stalled
            stopReading()
            actionTimer.schedule(milliseconds: engine.scenario.timeouts.holdMilliseconds) { [unowned self] in
                note("hold limit reached")
                closeReason = .timeout
                startClosing(.fin)
            }
        case .withhold:
            note("withheld: no reply will be sent", rule: ruleLabel)
            state = .withholding
            setReadTimeout(milliseconds: engine.scenario.timeouts.holdMilliseconds)
            recordAndDiscardInput()
        case .close(let mode):
            closeReason = mode == .reset ? .resetByRule : .closedByRule
            guard machine.isAwaitingTLS else {
                startClosing(mode)
                return false
            }
            // The handshake is aborted where a broken middlebox aborts it: once the ClientHello arrives.
            state = .abortingHandshake(mode)
            socket?.startReading(timeoutMilliseconds: engine.scenario.timeouts.idleMilliseconds)
        case .commit(let sentCode):
            finishStep(sentCode: sentCode)
        case .startHandshake:
            state = .startingHandshake
            if outputLength == 0 { handshake() }
        }
        return false
    }

    private func finishStep(sentCode: Int?) {
        guard state == .executing, let finished = step else { return }  // not when a firewall dropped it
        machine.commit(sentCode: sentCode)
        step = nil
        executor = nil
        if machine.isAwaitingTLS {
            state = .upgrading
            stopReading()
            if outputLength == 0 { upgradeToTLS() }
            return
        }
        if finished.closesConnection {
            if case .command(let verb, _, _) = finished.event, verb == "QUIT" {
                closeReason = .clientQuit
            } else if case .idle = finished.event {
                closeReason = .timeout
            }
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
    private func transmit(_ bytes: [UInt8], code: Int?, trickleMilliseconds: Int?) -> Bool {
        if case .connect? = step?.event, !repliedInStep {
            // Bytes that arrived before the greeting leaves were sent before it: the state machine must
            // see them as such (strict pipelining refuses a client that talks first).
            kernelReadsLeft = 1
            _ = pullInput()
            guard state == .executing else { return false }  // a firewall dropped the connection
        }
        repliedInStep = true
        recordOutbound(bytes)
        var wire = bytes
        if let event = step?.event.name, let passed = firewall?.outbound(bytes, event: event), passed != bytes {
            note("firewall passed it on as: " + Transcript.printable(passed))
            wire = passed
        }
        if let trickleMilliseconds, !wire.isEmpty {
            trickle(wire[...], interval: trickleMilliseconds)
            return false
        }
        write(wire)
        return true
    }

    private func trickle(_ bytes: ArraySlice<UInt8>, interval: Int) {
        write([bytes.first!])
        let rest = bytes.dropFirst()
        if rest.isEmpty {
            wait(interval) { $0.runPlan() }
        } else {
            wait(interval) { $0.trickle(rest, interval: interval) }
        }
    }

    private func wait(_ milliseconds: Int, then: @escaping (SMTPConnection) -> Void) {
        state = .waiting
        actionTimer.schedule(milliseconds: milliseconds) { [unowned self] in
            guard state == .waiting else { return }
            state = .executing
            then(self)
            drive()
        }
    }

    private func storeMessage(_ message: ReceivedMessage) -> Bool {
        let stored = StoredMessage(
            message, sessionID: record.id, listener: listener.name, clientAddress: record.clientAddress)
        do {
            try host.messages.store(stored)
        } catch {
            note("message \(message.id) could not be spooled: \(error)")
            return false
        }
        appendText(.note) { text in
            text += "message ".utf8
            text += message.id.utf8
            text += " stored: ".utf8
            text.appendDecimal(message.content.count)
            text += " bytes for ".utf8
            text.appendDecimal(message.recipients.count)
            text += " recipient(s)".utf8
        }
        return true
    }

    // MARK: - TLS

    private func makeTLSBufferEvent(fd: Int32) -> OpaquePointer? {
        guard let context = try? listener.tlsContext(), let ssl = SSL_new(context.context) else { return nil }
        let tls = bufferevent_openssl_socket_new(
            host.loop.base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        // Clients that close without close_notify are ordinary for SMTP; it is not a read error.
        bufferevent_openssl_set_allow_dirty_shutdown(tls, 1)
        return tls
    }

    /// After `220 Ready to start TLS` is on the wire: the `tls` rule's plan, then the handshake.
    private func upgradeToTLS() {
        let context = RuleEventContext(
            event: ScenarioEvent.tls, helo: machine.helo, sessionNumber: sessionNumber, occurrence: 1,
            messageNumber: machine.messageNumber, clientAddress: record.clientAddress)
        ruleLabel = nil
        var actions = PlanExecutor.defaultActions
        if let rule = engine.match(context) {
            actions = rule.effectiveActions
            announce(rule)
        }
        executor = PlanExecutor(tlsActions: actions)
        state = .executing
        runPlan()
    }

    /// Swaps the plain bufferevent for a TLS one on the same socket. Whatever plaintext the client
    /// pipelined after STARTTLS is freed with the plain bufferevent, unread (CVE-2011-0411).
    private func handshake() {
        executor = nil
        guard let fd = socket?.detach() else { return }
        socket = nil
        heldInput = []
        bufferEvent = makeTLSBufferEvent(fd: fd)
        guard bufferEvent != nil else {
            close(fd)
            note("TLS is not available: \(TLSContext.openSSLErrors())")
            closeReason = .tlsFailed
            teardown()
            return
        }
        installCallbacks()
        state = .handshaking
    }

    private func handshakeCompleted() {
        guard state == .handshaking, let ssl = bufferevent_openssl_get_ssl(bufferEvent) else { return }
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "?"
        note("TLS established: \(version), \(cipher)")
        state = .ready
        if !machine.hasGreeted {
            begin(machine.connect())
        } else {
            machine.tlsEstablished()
        }
        drive()
    }

    private func tlsErrors() -> String {
        var messages: [String] = []
        while case let code = bufferevent_get_openssl_error(bufferEvent), code != 0 {
            messages.append(TLSContext.describe(code))
        }
        let queued = TLSContext.openSSLErrors()
        if queued != "no detail" { messages.append(queued) }
        return messages.isEmpty ? "the client closed the connection" : messages.joined(separator: "; ")
    }

    // MARK: - Output and closing

    private var outputLength: Int {
        if let pending = socket?.outputLength { return pending }
        guard let bufferEvent, let output = bufferevent_get_output(bufferEvent) else { return 0 }
        return evbuffer_get_length(output)
    }

    /// Sends bytes to the client (or queues them); the transcript records replies where they are decided.
    private func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if socket != nil {
            bytes.withUnsafeBytes { socket?.write($0) }
        } else if let bufferEvent {
            bytes.withUnsafeBytes { _ = bufferevent_write(bufferEvent, $0.baseAddress, $0.count) }
        } else {
            return
        }
        host.metrics.bytesSent(bytes.count)
    }

    private func stopReading() {
        socket?.stopReading()
        if let bufferEvent { bufferevent_disable(bufferEvent, Int16(EV_READ)) }
    }

    private func startClosing(_ mode: CloseMode) {
        guard state != .closing, state != .closed else { return }
        closeMode = mode
        state = .closing
        machine.close()
        actionTimer.cancel()
        stopReading()
        note(mode == .reset ? "resetting the connection (RST)" : "closing the connection", rule: ruleLabel)
        if outputLength == 0 { teardown() }
    }

    /// Graceful host shutdown: sessions between commands are told `421` now; those inside DATA or a
    /// plan finish their step first (see `drive`) within the host's grace period.
    func requestShutdown(force: Bool) {
        shutdownRequested = true
        if force || (state == .ready && !machine.isReceivingContent) {
            sayShuttingDown()
        }
    }

    private func sayShuttingDown() {
        guard state != .closing, state != .closed else { return }
        let reply = machine.encode(SMTPReply(421, "4.3.2", "\(machine.configuration.hostname) Service shutting down"))
        recordOutbound(reply)
        write(reply)
        closeReason = .hostShutdown
        startClosing(.fin)
    }

    private func teardown() {
        guard state != .closed else { return }
        state = .closed
        actionTimer.cancel()
        socket?.close(reset: closeMode == .reset)
        socket = nil
        if let bufferEvent {
            if closeMode == .reset {
                // SO_LINGER 0: close() sends RST instead of FIN.
                var linger = linger(l_onoff: 1, l_linger: 0)
                setsockopt(
                    bufferevent_getfd(bufferEvent), SOL_SOCKET, SO_LINGER, &linger,
                    socklen_t(MemoryLayout<linger>.size))
            }
            bufferevent_free(bufferEvent)
            self.bufferEvent = nil
        }
        note("session ended: \(closeReason.rawValue)")
        host.connectionClosed(self, reason: closeReason)
        retainedByLibevent?.release()
        retainedByLibevent = nil
    }

    private func setReadTimeout(milliseconds: Int) {
        if socket != nil { return socket?.startReading(timeoutMilliseconds: milliseconds) ?? () }
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: Int((milliseconds % 1000) * 1000))
        bufferevent_set_timeouts(bufferEvent, &timeout, nil)
    }

    private func discardInput() {
        heldInput = []
        if socket != nil {
            if case .ended(let error) = socket?.read(into: host.loop.readBuffer) { connectionEnded(error: error) }
            return
        }
        guard let input = bufferevent_get_input(bufferEvent) else { return }
        evbuffer_drain(input, evbuffer_get_length(input))
    }

    /// While withholding: the client's bytes are still read and shown in the transcript.
    private func recordAndDiscardInput() {
        if socket != nil {
            let held = heldInput
            heldInput = []
            held.withUnsafeBufferPointer { Transcript.forEachLine($0) { appendLine(.client, $0) } }
            switch socket?.read(into: host.loop.readBuffer) {
            case .data(let bytes):
                host.metrics.bytesReceived(bytes.count)
                Transcript.forEachLine(bytes) { appendLine(.client, $0) }
            case .ended(let error):
                connectionEnded(error: error)
            case .wouldBlock, nil:
                break
            }
            return
        }
        guard let input = bufferevent_get_input(bufferEvent) else { return }
        let available = evbuffer_get_length(input)
        guard available > 0, let bytes = evbuffer_pullup(input, available) else { return }
        host.metrics.bytesReceived(available)
        let chunk = UnsafeBufferPointer(start: bytes, count: available)
        Transcript.forEachLine(chunk) { appendLine(.client, $0) }
        evbuffer_drain(input, available)
    }

    // MARK: - Transcript

    private func note(_ text: String, rule: String? = nil) {
        append(.note, text, rule: rule)
    }

    private func append(_ direction: TranscriptEntry.Direction, _ text: String, rule: String? = nil) {
        let entry = record.append(direction, text, rule: rule)
        host.transcriptWritten(record, entry)
    }

    /// One line of bytes for the transcript: `verb`, a space and `bytes` escaped.
    private func appendLine(
        _ direction: TranscriptEntry.Direction, verb: String? = nil, _ bytes: UnsafeBufferPointer<UInt8>,
        rule: String? = nil
    ) {
        appendText(direction, rule: rule) { Transcript.appendLine(verb: verb, bytes, to: &$0) }
    }

    /// A transcript line whose UTF-8 text `write` appends: straight into the session's log, with a
    /// `String` made only when a handler watches entries live.
    private func appendText(
        _ direction: TranscriptEntry.Direction, rule: String? = nil, _ write: (inout [UInt8]) -> Void
    ) {
        guard transcriptWatched else { return record.appendText(direction, rule: rule, write) }
        var text: [UInt8] = []
        write(&text)
        append(direction, String(decoding: text, as: UTF8.self), rule: rule)
    }

    private func recordInbound(_ event: SMTPEvent) {
        // Behind a firewall the client's own lines were recorded as read; these are what the host got.
        let received: TranscriptEntry.Direction = firewall == nil ? .client : .hostReceived
        switch event {
        case .connect, .idle:
            break
        case .command(let verb, let arguments, _):
            arguments.withUnsafeBufferPointer { appendLine(received, verb: verb, $0) }
        case .malformedLine(let problem):
            note("malformed command line: \(problem.rawValue)")
        case .dataProgress(let bytes):
            note("message content reached \(bytes) bytes")
        case .dataEnd(let bytes):
            appendText(received) { text in
                text.append(UInt8(ascii: "<"))
                text.appendDecimal(bytes)
                text += " bytes of message content>".utf8
            }
            appendText(received) { $0.append(UInt8(ascii: ".")) }
        case .xexch50Blob(let bytes):
            append(received, "<\(bytes) bytes of XEXCH50 blob>")
        case .bdatChunk(let bytes, let last, _):
            append(received, "BDAT \(bytes)\(last ? " LAST" : "") <\(bytes) bytes of chunk>")
        case .authResponse:
            append(received, "<AUTH response>")
        }
    }

    private func recordOutbound(_ bytes: [UInt8]) {
        host.metrics.replyWritten(bytes)
        bytes.withUnsafeBufferPointer { buffer in
            Transcript.forEachLine(buffer) { appendLine(.server, $0, rule: ruleLabel) }
        }
    }
}

extension SMTPEvent {
    fileprivate var arguments: [UInt8] {
        switch self {
        case .command(_, let arguments, _), .bdatChunk(_, _, let arguments): arguments
        default: []
        }
    }

    fileprivate var progressBytes: Int? {
        if case .dataProgress(let bytes) = self { bytes } else { nil }
    }
}

extension RuleAction {
    /// How the transcript names the action.
    var summary: String {
        switch self {
        case .reply(let reply): "reply \(reply.code)"
        case .useDefault: "default"
        case .delay(let milliseconds): "delay \(milliseconds)ms"
        case .withhold: "withhold"
        case .stall: "stall"
        case .close: "close"
        case .reset: "reset"
        case .trickle(let milliseconds): "trickle \(milliseconds)ms"
        case .truncate(let bytes): "truncate \(bytes)"
        case .raw(let bytes): "raw \(bytes.count) bytes"
        case .dropMessage: "drop-message"
        }
    }
}
