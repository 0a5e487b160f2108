import CLibEvent
import Foundation
import MockMXScenario
import SMTPProtocol

/// One client connection: bytes from the ``ClientTransport`` go through the scenario's firewall into the
/// session state machine, whose proposals the scenario engine turns into plans that a ``PlanExecutor``
/// turns into transport actions this class performs (`SMTPConnection+Plan.swift`). TLS switching is in
/// `SMTPConnection+TLS.swift`, the transcript in `SMTPConnection+Transcript.swift`.
/// Confined to the loop thread. libevent holds one +1 retain from setup until teardown.
///
/// Its mutable state is `@exclusivity(unchecked)`: the runtime's dynamic exclusivity checks on every
/// access to a class property were 13% of the instructions per message (callgrind), and this state is
/// only touched from the loop thread by this class's own straight-line code.
final class SMTPConnection {
    enum State: Equatable {
        /// Waiting for input; the next event is parsed as soon as it is complete.
        case ready
        /// Running a plan's actions.
        case executing
        /// A delay or a trickled reply is in progress; input is held back.
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

    typealias CloseMode = PlanExecutor.CloseMode

    let record: SessionRecord
    unowned let host: HostRuntime
    let listener: SMTPListener
    let engine: ScenarioEngine
    /// Not open when TLS could not be set up for an implicit-TLS listener, and after teardown.
    @exclusivity(unchecked) var transport: ClientTransport
    /// What a plain client sent while a step was in progress.
    @exclusivity(unchecked) var heldInput = HeldInput()
    /// When the bytes handed to the state machine arrived.
    @exclusivity(unchecked) var arrivals = ArrivalTimes()
    /// Where the content of the latest DATA starts in `arrivals`' offsets: its first byte's arrival dates
    /// the content's transcript line, so content sent before the 354 shows as such.
    @exclusivity(unchecked) var contentStart = 0
    /// A read saw the client's end (true: an error, false: it closed): nothing more will come.
    @exclusivity(unchecked) var clientEnded: Bool?
    /// Kernel reads left in this pass of `drive`. Replies leave at once, so a fast client's next
    /// commands are often there already: without a bound one busy session would keep the loop from
    /// every other connection and the control API.
    @exclusivity(unchecked) var kernelReadsLeft = 0
    @exclusivity(unchecked) var machine: SMTPSessionStateMachine
    /// The scenario's middlebox between the client and the host, if it has one.
    @exclusivity(unchecked) var firewall: FirewallFilter?
    /// `firewall != nil`, kept apart: comparing the optional with nil copied the filter and destroyed the copy
    /// through the runtime's generic witness, ≈ 2,000 instructions per message.
    let behindFirewall: Bool
    let sessionNumber: Int
    /// A handler watches transcript entries live, so each needs its `String`; otherwise lines go to the
    /// log as bytes.
    let transcriptWatched: Bool
    @exclusivity(unchecked) var state = State.ready
    @exclusivity(unchecked) var closeMode = CloseMode.fin
    @exclusivity(unchecked) var closeReason = SessionEnd.protocolClose

    /// The plan being executed (for a step, or the `tls` plan that follows a committed STARTTLS).
    @exclusivity(unchecked) var executor = PlanExecutor()
    /// What the connection needs of the step being answered.
    @exclusivity(unchecked) var step = StepFacts()
    /// Whether this step has sent anything yet: the greeting reads pre-greeting input just before it leaves.
    @exclusivity(unchecked) var repliedInStep = false
    @exclusivity(unchecked) var ruleLabel: String?
    /// How often each event happened in this session (`nth:`) and in this transaction (`nth-in-message:`).
    @exclusivity(unchecked) var occurrences = EventCounts()
    @exclusivity(unchecked) var shutdownRequested = false
    /// Proxy mode: the session with the real host whose replies are the proposals (`SMTPConnection+Proxy.swift`).
    @exclusivity(unchecked) var upstream: UpstreamLink?

    lazy var actionTimer = LoopTimer(loop: host.loop)
    @exclusivity(unchecked) private var retainedByLibevent: Unmanaged<SMTPConnection>?

    /// Bytes pulled into the state machine at a time; bounds per-session buffering.
    static let inputChunk = 65_536
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
        var persona = host.sessionConfiguration(engine.scenario.host)
        if listener.lmtp { persona.useLMTP() }
        var machine = SMTPSessionStateMachine(configuration: persona, sessionID: sessionID)
        machine.dataProgressMarks = engine.scenario.rules.compactMap { $0.conditions.bytes }
        let upstreamSettings = listener.lmtp ? nil : engine.scenario.upstream ?? host.configuration.upstream
        machine.proxied = upstreamSettings != nil
        self.machine = machine
        self.firewall = engine.scenario.firewall.map(FirewallFilter.init(configuration:))
        self.behindFirewall = engine.scenario.firewall != nil
        // An LMTP listener answers for itself: the upstream is an SMTP host, whose one reply after the data
        // could not stand for one per recipient.
        if let settings = upstreamSettings {
            let clock = engine.clock
            self.upstream = UpstreamLink(loop: host.loop, settings: settings) { clock.real(milliseconds: $0) }
        }

        var one: Int32 = 1
        if !listener.isUnixSocket {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        // The callbacks get this object's address; libevent's retain is taken in `start`, before reading.
        self.transport = ClientTransport(base: host.loop.base)
        let context = Unmanaged.passUnretained(self).toOpaque()
        if !listener.implicitTLS {
            transport.openPlain(fd, context: context)
        } else if let tlsContext = try? listener.tlsContext() {
            _ = transport.openTLS(fd, tls: tlsContext, context: context)
        } else {
            close(fd)
        }
    }

    /// Installs the callbacks and sends the greeting (or runs the `connect` rule).
    func start() {
        guard transport.isOpen else {
            note("TLS is not available on this listener: \(TLSContext.openSSLErrors())")
            closeReason = .tlsFailed
            host.connectionClosed(self, reason: closeReason)
            return
        }
        retainedByLibevent = Unmanaged.passRetained(self)
        transport.startReading(timeoutMilliseconds: engine.idleTimeoutMilliseconds)
        note("connect from \(record.clientAddress) to \(listener.name) (scenario \(engine.scenario.name))")
        if !engine.scenario.expect.isEmpty { note(engine.scenario.expect.verdictNote) }
        if listener.implicitTLS {
            // The greeting waits for the handshake (RFC 8314 §3.3).
            machine.startedWithTLS()
            state = .handshaking
            return
        }
        begin(machine.connect())
        drive()
    }

    /// Withheld or stalled by a rule: the client waits for an answer that does not come.
    var isHeld: Bool { state == .withholding || state == .stalled }

    // MARK: - Transport events

    /// Input arrived.
    func readable() {
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
            // A stall fills the client's TCP window, and after STARTTLS the ClientHello is for the TLS
            // connection.
            transport.leaveInputInKernel()
        }
    }

    /// A plain socket's write event: queued output can move, or a send failed.
    func plainSocketWritable() {
        switch transport.flush() {
        case .drained: writable()
        case .failed: connectionEnded(error: true)
        case .pending, nil: break
        }
    }

    /// Output went out: what waited for it happens now.
    func writable() {
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

    /// No input for the read timeout: the idle timeout, or the hold limit of a withheld session.
    func readTimedOut() {
        if state != .withholding, state != .handshaking { transport.resumeAfterTimeout() }
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
    func connectionEnded(error: Bool) {
        if state == .handshaking {
            note("TLS handshake failed: \(transport.tlsErrors())")
            closeReason = .tlsFailed
        } else if state != .closing {
            closeReason = .clientVanished
            note(error ? "connection error" : "client closed the connection")
        }
        if !error, transport.readsFromKernel, outputLength > 0, state != .closed {
            // A client that closed only its sending side still reads the replies queued for it; the
            // connection is torn down once they are on the wire.
            state = .closing
            machine.close()
            actionTimer.cancel()
            transport.stopReading()
            return
        }
        teardown()
    }

    // MARK: - Processing

    /// Parses and executes events while input is complete and nothing is pending.
    func drive() {
        kernelReadsLeft = 1
        transport.cork()
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
                } else {
                    // Reading stopped while input was held back during a step.
                    transport.resumeReading(timeoutMilliseconds: engine.idleTimeoutMilliseconds)
                }
                break
            }
        }
    }

    /// Sends the replies `drive` queued, in one send; what needed the output drained happens now.
    private func uncork() {
        switch transport.uncork() {
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

    // MARK: - Input

    /// Moves up to one chunk of the client's input into the state machine: what was held during a step
    /// first, then one read (at most one from the kernel per pass of `drive`). Returns the bytes moved.
    func pullInput() -> Int {
        if !heldInput.isEmpty {
            // Taken out before it is fed: the session must not see `heldInput` change under it.
            var moved = 0
            for piece in heldInput.take(upTo: SMTPConnection.inputChunk) where state != .closed {
                piece.bytes.withUnsafeBufferPointer { feed($0, arrivedAt: piece.time) }
                moved += piece.bytes.count
            }
            return moved
        }
        if transport.readsFromKernel {
            guard kernelReadsLeft > 0 else { return 0 }  // the read event fires again on the next loop pass
            kernelReadsLeft -= 1
        }
        switch transport.read(into: host.loop.readBuffer) {
        case .data(let bytes):
            feed(bytes, arrivedAt: Date())
            return bytes.count
        case .ended(let error):
            clientEnded = error
            return 0
        case .wouldBlock:
            return 0
        }
    }

    /// Hands the client's bytes to the session, through the firewall when there is one.
    private func feed(_ chunk: UnsafeBufferPointer<UInt8>, arrivedAt time: Date) {
        host.metrics.bytesReceived(chunk.count)
        if !behindFirewall {
            machine.receive(chunk)
            arrivals.received(chunk.count, at: time)
        } else {
            passThroughFirewall(Array(chunk), arrivedAt: time)
        }
    }

    private func passThroughFirewall(_ chunk: [UInt8], arrivedAt time: Date) {
        guard let filtered = firewall?.inbound(chunk) else { return }
        for line in filtered.commandLines {
            line.sent.withUnsafeBufferPointer { Transcript.forEachLine($0) { appendLine(.client, $0, at: time) } }
        }
        for text in filtered.notes { note(text) }
        machine.receive(filtered.bytes)
        arrivals.received(filtered.bytes.count, at: time)
        if let reason = filtered.dropReason {
            note("firewall dropped the connection: \(reason)")
            closeReason = .droppedByFirewall
            closeMode = .reset
            state = .closing
            teardown()
        }
    }

    /// While a step is in progress: reads what the client sends into `heldInput`, up to its bound. A TLS
    /// bufferevent holds it in its own buffer, up to its watermark.
    private func holdInput() {
        guard transport.readsFromKernel else { return }
        switch transport.read(into: host.loop.readBuffer) {
        case .data(let bytes):
            heldInput.append(bytes, at: Date())
            if heldInput.count >= ClientTransport.heldInputLimit { transport.stopReading() }
        case .ended(error: true):
            connectionEnded(error: true)
        case .ended(error: false):
            // The client closed only its sending side behind what it sent (`.` and QUIT, then shutdown, as
            // Exim does): the step in progress (a spool write, a delay, the upstream's reply) still ends with
            // its reply, and what was held is answered before the session ends.
            clientEnded = false
            transport.stopReading()
        case .wouldBlock:
            break
        }
    }

    /// Input nobody will answer: read and dropped, so the client's end is still noticed.
    private func discardInput() {
        heldInput.removeAll()
        while true {
            switch transport.read(into: host.loop.readBuffer) {
            case .data:
                if transport.readsFromKernel { return }  // one kernel read per event
            case .ended(let error):
                return connectionEnded(error: error)
            case .wouldBlock:
                return
            }
        }
    }

    /// While withholding: the client's bytes are still read and shown in the transcript.
    func recordAndDiscardInput() {
        for piece in heldInput.take(upTo: heldInput.count) {
            piece.bytes.withUnsafeBufferPointer { bytes in
                Transcript.forEachLine(bytes) { appendLine(.client, $0, at: piece.time) }
            }
        }
        while true {
            switch transport.read(into: host.loop.readBuffer) {
            case .data(let bytes):
                host.metrics.bytesReceived(bytes.count)
                Transcript.forEachLine(bytes) { appendLine(.client, $0) }
                if transport.readsFromKernel { return }  // one kernel read per event
            case .ended(let error):
                return connectionEnded(error: error)
            case .wouldBlock:
                return
            }
        }
    }

    // MARK: - Output and closing

    var outputLength: Int { transport.outputLength }

    /// Sends bytes to the client (or queues them); the transcript records replies where they are decided.
    func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty, transport.isOpen else { return }
        transport.write(bytes)
        host.metrics.bytesSent(bytes.count)
    }

    func startClosing(_ mode: CloseMode) {
        guard state != .closing, state != .closed else { return }
        closeMode = mode
        state = .closing
        machine.close()
        actionTimer.cancel()
        transport.stopReading()
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

    func teardown() {
        guard state != .closed else { return }
        state = .closed
        actionTimer.cancel()
        transport.close(reset: closeMode == .reset)
        upstream?.close(because: "the client session ended")
        note("session ended: \(closeReason.rawValue)")
        host.connectionClosed(self, reason: closeReason)
        retainedByLibevent?.release()
        retainedByLibevent = nil
    }
}
