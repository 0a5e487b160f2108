import CLibEvent
import Foundation
import MockMXDNS
import SMTPProtocol

/// The loop-confined core of a host: listeners, open connections, shutdown sequencing.
final class HostRuntime {
    let loop: EventLoop
    let configuration: HostConfiguration
    let messages: MessageStore
    let sessions: SessionStore
    let metrics = Metrics()
    private(set) var listeners: [SMTPListener] = []
    /// The HTTP control API, when the configuration asks for one.
    private(set) var api: ControlAPI?
    /// The DNS responder, when the configuration asks for one.
    private(set) var dns: DNSResponder?
    let dnsQueries: DNSQueryLog
    /// The Mailpit-compatible API, when the configuration asks for one.
    private(set) var mailpitAPI: MailpitAPI?
    private var connections: [ObjectIdentifier: SMTPConnection] = [:]
    private var sessionCounter = 0
    private let sessionPrefix: String
    private(set) var shuttingDown = false
    private var graceTimer: LoopTimer?
    private var onStopped: (() -> Void)?
    /// Made on first use: only hosts that speak TLS pay for key generation.
    private var authority: CertificateAuthority?

    init(
        loop: EventLoop, configuration: HostConfiguration, messages: MessageStore, sessions: SessionStore,
        dnsQueries: DNSQueryLog
    ) {
        self.loop = loop
        self.dnsQueries = dnsQueries
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
                runtime: self, address: listenerConfiguration.address, scenario: listenerConfiguration.scenario,
                implicitTLS: listenerConfiguration.implicitTLS)
            listeners.append(listener)
        }
        do {
            if let apiAddress = configuration.apiAddress {
                api = try ControlAPI(
                    runtime: self, address: apiAddress, token: configuration.apiToken,
                    timeoutMilliseconds: configuration.apiTimeoutMilliseconds)
            }
            if let dnsConfiguration = configuration.dns {
                dns = try DNSResponder(
                    loop: loop, address: dnsConfiguration.address, zone: try servedZone(dnsConfiguration.zone),
                    log: dnsQueries, handler: dnsConfiguration.queryHandler)
            }
        } catch {
            for listener in listeners { listener.close() }
            api?.close()
            throw error
        }
        if let mailpitAddress = configuration.mailpitAPIAddress {
            do {
                mailpitAPI = try MailpitAPI(
                    runtime: self, address: mailpitAddress, token: configuration.apiToken,
                    timeoutMilliseconds: configuration.apiTimeoutMilliseconds)
            } catch {
                for listener in listeners { listener.close() }
                api?.close()
                throw error
            }
        }
        return try listeners.map { listener in
            // TLS problems (unreadable certificate files) surface at start, not at the first STARTTLS.
            let tls = listener.usesTLS ? try listener.tlsContext() : nil
            return BoundListener(
                host: listener.host, port: listener.port, scenario: listener.engine.scenario.name, name: listener.name,
                implicitTLS: listener.implicitTLS, tlsFingerprint: tls?.fingerprint,
                tlsAuthority: tls == nil ? nil : authority?.pemPath)
        }
    }

    /// The configured domains and those of every listener's start-up scenario.
    private func servedZone(_ configured: DNSZone) throws -> DNSZone {
        var zone = configured
        for listener in configuration.listeners {
            guard let own = listener.scenario.dns else { continue }
            do {
                try zone.merge(own)
            } catch {
                throw HostError("\(error), differently (in \(listener.scenario.name) and elsewhere); define it once")
            }
        }
        return zone
    }

    /// The persona a session plays. Without a spool a message larger than the memory budget for messages could
    /// not be kept, so the size limit is lowered to that budget: `MAIL SIZE=` over it gets `552` at once, and
    /// a longer body is read without being buffered and refused with `552` before any `250`. The advertised
    /// `SIZE` keyword stays as the scenario wrote it.
    func sessionConfiguration(_ persona: SMTPServerConfiguration) -> SMTPServerConfiguration {
        guard configuration.spoolDirectory == nil, persona.limits.messageSize > messages.byteBudget else {
            return persona
        }
        var limited = persona
        limited.limits.messageSize = messages.byteBudget
        return limited
    }

    func certificateAuthority() throws -> CertificateAuthority {
        if let authority { return authority }
        let made = try CertificateAuthority()
        authority = made
        return made
    }

    func accept(fd: Int32, client: String, listener: SMTPListener) {
        guard !shuttingDown else {
            close(fd)
            return
        }
        guard connections.count < configuration.maxConnections else {
            // Refused before any session exists, like Postfix's anvil limit; the write cannot block on a new socket.
            // Counted first: whoever reads the 421 may look at the metrics at once.
            metrics.connectionRefused()
            let hostname = listener.engine.scenario.host.hostname
            let refusal = Array("421 4.7.0 \(hostname) Error: too many connections\r\n".utf8)
            _ = refusal.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
            return
        }
        sessionCounter += 1
        // Not String(format:): Foundation's formatting cost more than the rest of accepting a connection.
        let digits = String(sessionCounter, radix: 16, uppercase: true)
        let id = sessionPrefix + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        let connection = SMTPConnection(host: self, listener: listener, fd: fd, clientAddress: client, sessionID: id)
        connections[ObjectIdentifier(connection)] = connection
        sessions.add(connection.record)
        metrics.sessionStarted()
        connection.start()
    }

    func connectionClosed(_ connection: SMTPConnection, reason: SessionEnd) {
        connections[ObjectIdentifier(connection)] = nil
        sessions.ended(connection.record, reason)
        messages.spool(connection.record)
        if shuttingDown, connections.isEmpty { finishShutdown() }
    }

    func transcriptWritten(_ record: SessionRecord, _ entry: TranscriptEntry) {
        configuration.transcriptHandler?(record, entry)
    }

    var openConnectionCount: Int { connections.count }

    var heldConnectionCount: Int { connections.values.reduce(0) { $0 + ($1.isHeld ? 1 : 0) } }

    /// Stops accepting, lets sessions finish their step within the grace period, then says `421` to the
    /// rest and ends the loop once every connection is closed.
    func shutdown(graceMilliseconds: Int, then done: @escaping () -> Void) {
        onStopped = done
        guard !shuttingDown else { return }
        shuttingDown = true
        for listener in listeners { listener.close() }
        dns?.close()
        dns = nil
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
        // Served until the end, so a test can still read what happened during the grace period.
        api?.close()
        api = nil
        mailpitAPI?.close()
        mailpitAPI = nil
        let done = onStopped
        onStopped = nil
        done?()
        loop.stopFromLoop()
    }
}
