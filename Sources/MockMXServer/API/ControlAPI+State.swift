import Foundation
import MockMXScenario

/// `GET /api/v1/listeners/{id}/state`: the keyed state of `greylist:` and `limit:` rules on a listener.
extension ControlAPI {
    func keyedState(onListener id: String) -> APIResponse {
        switch listeners(withID: id) {
        case .success(let listeners):
            return .json(KeyedStateReport(listeners: listeners.map { listener in
                let engine = listener.engine
                return ListenerKeyedState(
                    address: listener.name, scenario: engine.scenario.name, clockScale: engine.clock.scale,
                    capacity: engine.stateCapacity, count: engine.stateKeyCount,
                    keys: engine.stateDescriptions())
            }))
        case .failure(let failure):
            return failure.response
        }
    }

    /// The listeners a route's `{id}` names: a port (an IPv4 and an IPv6 listener may share it) or a
    /// listener's name as bound, URL-encoded (`127.0.0.1%3A2525`, `unix%3A%2Frun%2Fmx.sock`).
    func listeners(withID id: String) -> Result<[SMTPListener], APIResponseFailure> {
        let found = if let port = Int(id) {
            runtime.listeners.filter { $0.port == port && !$0.isUnixSocket }
        } else {
            runtime.listeners.filter { $0.name == id }
        }
        guard found.isEmpty else { return .success(found) }
        let names = runtime.listeners.map(\.name).joined(separator: ", ")
        let what = Int(id) != nil ? "on port \(id)" : "named '\(id)'"
        return .failure(APIResponseFailure(.error(404, "no SMTP listener \(what); listening on \(names)")))
    }
}

/// `{"listeners": [{address, scenario, clockScale, capacity, count, keys: […]}]}`.
struct KeyedStateReport: Encodable {
    var listeners: [ListenerKeyedState]
}

struct ListenerKeyedState: Encodable {
    var address: String
    var scenario: String
    /// `--clock-scale`: the keys' times are nominal, real time is this times as long.
    var clockScale: Double
    /// The most keys kept; the oldest is evicted beyond.
    var capacity: Int
    /// Keys held now (`keys` leaves out those expired but not yet evicted).
    var count: Int
    var keys: [KeyedStateDescription]
}
