import CLibEvent
import Foundation

/// The loop-confined core of a host: listeners, open connections, shutdown sequencing.
final class HostRuntime {
    let loop: EventLoop
    let configuration: HostConfiguration
    let messages: MessageStore
    let sessions: SessionStore
    let metrics = Metrics()
    private(set) var listeners: [SMTPListener] = []
    private var connections: [ObjectIdentifier: SMTPConnection] = [:]
    private var sessionCounter = 0
    private let sessionPrefix: String
    private var shuttingDown = false
    private var graceTimer: LoopTimer?
    private var onStopped: (() -> Void)?

    init(loop: EventLoop, configuration: HostConfiguration, messages: MessageStore, sessions: SessionStore) {
        self.loop = loop
        self.configuration = configuration
        self.messages = messages
        self.sessions = sessions
        // Session ids stay unique across restarts sharing a spool: a time prefix, then a counter.
        sessionPrefix = String(UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)), radix: 16, uppercase: true)
    }

    /// Binds every listener; called before the loop thread starts.
    func bind() throws -> [BoundListener] {
        for listenerConfiguration in configuration.listeners {
            let listener = try SMTPListener(
                runtime: self, address: listenerConfiguration.address, scenario: listenerConfiguration.scenario)
            listeners.append(listener)
        }
        return listeners.map {
            BoundListener(host: $0.host, port: $0.port, scenario: $0.engine.scenario.name, name: $0.name)
        }
    }

    func accept(fd: Int32, client: String, listener: SMTPListener) {
        guard !shuttingDown else {
            close(fd)
            return
        }
        sessionCounter += 1
        let id = sessionPrefix + String(format: "%05X", sessionCounter)
        let connection = SMTPConnection(host: self, listener: listener, fd: fd, clientAddress: client, sessionID: id)
        connections[ObjectIdentifier(connection)] = connection
        sessions.add(connection.record)
        metrics.add("sessions_total")
        connection.start()
    }

    func connectionClosed(_ connection: SMTPConnection, reason: SessionEnd) {
        connections[ObjectIdentifier(connection)] = nil
        sessions.ended(connection.record, reason)
        if shuttingDown, connections.isEmpty { finishShutdown() }
    }

    func transcriptWritten(_ record: SessionRecord, _ entry: TranscriptEntry) {
        configuration.transcriptHandler?(record, entry)
    }

    var openConnectionCount: Int { connections.count }

    /// Stops accepting, lets sessions finish their step within the grace period, then says `421` to the
    /// rest and ends the loop once every connection is closed.
    func shutdown(graceMilliseconds: Int, then done: @escaping () -> Void) {
        onStopped = done
        guard !shuttingDown else { return }
        shuttingDown = true
        for listener in listeners { listener.close() }
        for connection in Array(connections.values) { connection.requestShutdown(force: false) }
        if connections.isEmpty {
            finishShutdown()
            return
        }
        let timer = LoopTimer(loop: loop)
        graceTimer = timer
        timer.schedule(milliseconds: graceMilliseconds) { [unowned self] in
            for connection in Array(connections.values) { connection.requestShutdown(force: true) }
            // Clients that never read their 421 must not keep the host alive.
            graceTimer?.schedule(milliseconds: 1_000) { [unowned self] in finishShutdown() }
        }
    }

    private var signalEvents: [OpaquePointer] = []
    private var signalsSeen = 0

    func installSignalHandlers() {
        // A parent may have spawned us with signals blocked (test runners do); the loop thread
        // inherits this thread's mask, so unblock here or SIGTERM would never arrive.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        let context = Unmanaged.passUnretained(self).toOpaque()
        for number in [SIGINT, SIGTERM] {
            let event = mockmx_evsignal_new(loop.base, number, { signal, _, context in
                Unmanaged<HostRuntime>.fromOpaque(context!).takeUnretainedValue().received(signal: signal)
            }, context)!
            event_add(event, nil)
            signalEvents.append(event)
        }
    }

    private func received(signal: Int32) {
        signalsSeen += 1
        if signalsSeen > 1 { _exit(128 + signal) }
        shutdown(graceMilliseconds: configuration.shutdownGraceMilliseconds) {}
    }

    private func finishShutdown() {
        for event in signalEvents { event_free(event) }
        signalEvents.removeAll()
        graceTimer?.cancel()
        graceTimer = nil
        let done = onStopped
        onStopped = nil
        done?()
        loop.stopFromLoop()
    }
}
