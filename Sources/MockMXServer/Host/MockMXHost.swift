import Foundation
import MockMXScenario

/// A running mock remote mail host: SMTP listeners on one libevent loop thread, plus what they received.
///
/// ```swift
/// let host = try MockMXHost(HostConfiguration(listeners: [.init(address: "127.0.0.1:0")]))
/// let port = try host.start()[0].port
/// // … let the code under test send mail to 127.0.0.1:port …
/// #expect(await host.messages.wait(forTotal: 1, timeout: .seconds(5)))
/// host.shutdown()
/// ```
public final class MockMXHost: Sendable {
    public let configuration: HostConfiguration
    /// Accepted messages.
    public let messages: MessageStore
    /// Sessions with their transcripts.
    public let sessions: SessionStore
    /// Questions the DNS responder answered (or dropped), oldest first.
    public let dnsQueries: DNSQueryLog
    public var metrics: Metrics { runtime.value.metrics }
    private let loop: EventLoop
    private let runtime: LoopBound<HostRuntime>
    private let state = LockedState()

    public init(_ configuration: HostConfiguration) throws {
        guard configuration.clockScale > 0, configuration.clockScale.isFinite else {
            throw HostError("the clock scale must be a number above 0, found \(configuration.clockScale)")
        }
        guard configuration.stateKeysPerListener > 0 else {
            throw HostError("a listener must keep at least 1 state key, found \(configuration.stateKeysPerListener)")
        }
        self.configuration = configuration
        self.messages = try MessageStore(
            retention: configuration.messageRetention, byteBudget: configuration.messageRetentionBytes,
            spoolDirectory: configuration.spoolDirectory, syncSpool: configuration.spoolSync)
        self.sessions = SessionStore(
            retention: configuration.sessionRetention, byteBudget: configuration.transcriptRetentionBytes)
        // A sender asks a few questions per session: as many kept as sessions are.
        self.dnsQueries = DNSQueryLog(retention: configuration.sessionRetention)
        self.loop = try EventLoop()
        self.runtime = LoopBound(
            HostRuntime(
                loop: loop, configuration: configuration, messages: messages, sessions: sessions,
                dnsQueries: dnsQueries))
    }

    /// Binds every listener and starts the loop thread. Returns the bound addresses (port 0 resolved).
    @discardableResult
    public func start() throws -> [BoundListener] {
        guard !state.started else { throw HostError("the host was already started") }
        MockMXHost.raiseFileLimit(to: configuration.maxConnections + 1024)
        // Binding happens before the loop thread exists, so nothing else touches libevent yet.
        let bound = try runtime.value.bind()
        let dns = runtime.value.dns.map { BoundAddress(host: $0.host, port: $0.port, name: $0.name) }
        state.markStarted(
            bound, api: runtime.value.api?.bound, dns: dns, mailpitAPI: runtime.value.mailpitAPI?.bound)
        loop.start(name: "mockmx-loop")
        return bound
    }

    /// Each connection is a descriptor: the usual soft limit of 1024 would cap a host far below
    /// `maxConnections`. Raised up to the hard limit, never lowered.
    private static func raiseFileLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// The listeners as bound by `start()`.
    public var listeners: [BoundListener] { state.bound }

    /// The control API as bound by `start()` (port 0 resolved); nil without ``HostConfiguration/apiAddress``.
    public var api: BoundAddress? { state.api }

    /// The DNS responder as bound by `start()` (UDP); nil without ``HostConfiguration/dns``.
    public var dns: BoundAddress? { state.dns }
    /// The Mailpit-compatible API as bound by `start()`; nil without ``HostConfiguration/mailpitAPIAddress``.
    public var mailpitAPI: BoundAddress? { state.mailpitAPI }

    /// Graceful stop: no new sessions, open ones get up to the grace period, then `421` and close.
    /// Blocks until the loop has ended. Safe to call more than once.
    public func shutdown(graceMilliseconds: Int? = nil) {
        guard state.started else { return }
        let grace = graceMilliseconds ?? configuration.shutdownGraceMilliseconds
        let runtime = runtime
        loop.execute { runtime.value.shutdown(graceMilliseconds: grace) {} }
        loop.waitUntilStopped()
        messages.finishSpoolWrites()
    }

    /// SIGINT/SIGTERM start a graceful shutdown; a second one exits at once. Call before `start()`.
    public func shutdownOnSignals() {
        runtime.value.installSignalHandlers()
    }

    /// Blocks until the loop ends (after `shutdown`, or a signal the host handles).
    public func waitUntilStopped() {
        guard state.started else { return }
        loop.waitUntilStopped()
        messages.finishSpoolWrites()
    }

    deinit {
        if state.started { shutdown(graceMilliseconds: 0) }
    }
}

/// Start-once bookkeeping shared across threads.
private final class LockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var _started = false
    private var _bound: [BoundListener] = []
    private var _api: BoundAddress?
    private var _dns: BoundAddress?
    private var _mailpitAPI: BoundAddress?

    func markStarted(_ bound: [BoundListener], api: BoundAddress?, dns: BoundAddress?, mailpitAPI: BoundAddress? = nil) {
        lock.lock()
        _started = true
        _bound = bound
        _api = api
        _dns = dns
        _mailpitAPI = mailpitAPI
        lock.unlock()
    }

    var dns: BoundAddress? {
        lock.lock()
        defer { lock.unlock() }
        return _dns
    }

    var mailpitAPI: BoundAddress? {
        lock.lock()
        defer { lock.unlock() }
        return _mailpitAPI
    }

    var started: Bool {
        lock.lock()
        defer { lock.unlock() }
        return _started
    }

    var bound: [BoundListener] {
        lock.lock()
        defer { lock.unlock() }
        return _bound
    }

    var api: BoundAddress? {
        lock.lock()
        defer { lock.unlock() }
        return _api
    }
}
