import CLibEvent
import Foundation
import MockMXScenario

/// One bound SMTP address with its scenario. Loop-confined after `start`.
final class SMTPListener {
    private(set) var name: String = ""
    private(set) var host: String = ""
    private(set) var port: Int = 0
    /// Replaced when a new scenario is applied; sessions keep the engine they started with.
    var engine: ScenarioEngine
    /// The scenario the listener was started with, which `POST /api/v1/reset` brings back.
    let startupScenario: Scenario
    private var listener: OpaquePointer?
    private unowned let runtime: HostRuntime
    let implicitTLS: Bool
    /// LMTP (RFC 2033) instead of SMTP.
    let lmtp: Bool
    /// The socket file of a unix-domain listener, removed when it closes.
    private var socketPath: String?
    /// TLS contexts by the settings and host name they were made for (scenarios can be swapped at run time).
    private var tlsContexts: [String: TLSContext] = [:]

    init(runtime: HostRuntime, address: String, scenario: Scenario, implicitTLS: Bool, lmtp: Bool = false) throws {
        self.runtime = runtime
        self.engine = Self.engine(for: scenario, runtime: runtime)
        self.startupScenario = scenario
        self.implicitTLS = implicitTLS
        self.lmtp = lmtp
        let context = Unmanaged.passUnretained(self).toOpaque()
        let opened = try SocketAddress.listen(
            on: address, base: runtime.loop.base, backlog: 1024, purpose: "listen",
            callback: { _, fd, address, _, context in
                let listener = Unmanaged<SMTPListener>.fromOpaque(context!).takeUnretainedValue()
                listener.accepted(fd: fd, address: address!)
            },
            context: context)
        listener = opened.listener
        (host, port, name) = (opened.bound.host, opened.bound.port, opened.bound.name)
        socketPath = SocketAddress.unixSocketPath(name)
    }

    /// Whether sessions here may need TLS: implicit, or STARTTLS advertised.
    var usesTLS: Bool { implicitTLS || engine.scenario.host.advertises("STARTTLS") }

    /// The TLS context for the current scenario.
    func tlsContext() throws -> TLSContext {
        let scenario = engine.scenario
        let key = "\(scenario.tls)|\(scenario.host.hostname)"
        if let context = tlsContexts[key] { return context }
        let context = try TLSContext(
            settings: scenario.tls, hostname: scenario.host.hostname, authority: runtime.certificateAuthority())
        tlsContexts[key] = context
        return context
    }

    /// A fresh engine for `scenario` on this listener: the host's clock scale, keyed state bounded as
    /// configured, evictions counted in the metrics.
    func makeEngine(_ scenario: Scenario) -> ScenarioEngine {
        Self.engine(for: scenario, runtime: runtime)
    }

    private static func engine(for scenario: Scenario, runtime: HostRuntime) -> ScenarioEngine {
        let configuration = runtime.configuration
        let clock = configuration.realClock.map { ScenarioClock(scale: configuration.clockScale, realMilliseconds: $0) }
            ?? .monotonic(scale: configuration.clockScale)
        let engine = ScenarioEngine(
            scenario: scenario, clock: clock,
            stateCapacity: configuration.stateKeysPerListener)
        if !scenario.rules.allSatisfy({ $0.conditions.greylist == nil && $0.conditions.limit == nil }) {
            engine.onEviction = { [metrics = runtime.metrics] in metrics.stateKeyEvicted() }
        }
        return engine
    }

    /// Whether it listens on a unix-domain socket (its `port` is 0).
    var isUnixSocket: Bool { socketPath != nil }

    /// Stops accepting; open sessions go on.
    func close() {
        if let listener { evconnlistener_free(listener) }
        listener = nil
        if let socketPath { unlink(socketPath) }
        socketPath = nil
    }

    private func accepted(fd: Int32, address: UnsafeMutablePointer<sockaddr>) {
        let client = SocketAddress.describe(address).host
        runtime.accept(fd: fd, client: client, listener: self)
    }
}
