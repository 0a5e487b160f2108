import Foundation
import MockMXScenario

/// The web UI's side of the API: its static files (served without a token: they hold no data, and the page
/// asks for the token before it reads anything), each listener's scenario source, and the change sequence
/// the page long-polls on (`/api/v1/wait?change=N`).
extension ControlAPI {
    func makeUIRoutes() -> [APIRoute] {
        typealias Endpoint = APIRoute.Endpoint
        return [
            APIRoute("/", [.get: Endpoint { _, _ in .now(ControlAPI.asset("index.html")) }]),
            APIRoute("/ui/{file}", [.get: Endpoint { _, captures in .now(ControlAPI.asset(captures[0])) }]),
            APIRoute("/api/v1/listeners/{port}/scenario/source", [
                .get: Endpoint { [unowned self] _, captures in .now(scenarioSource(onPort: captures[0])) },
            ]),
        ]
    }

    /// The paths served without the bearer token: the health probe and the page's own files.
    static func isPublic(_ path: [String]) -> Bool {
        path == ["healthz"] || path.isEmpty || (path.count == 2 && path[0] == "ui")
    }

    static func asset(_ name: String) -> APIResponse {
        guard let asset = WebUIAssets.all[name] else {
            return .error(404, "no web UI file named '\(name)'")
        }
        var response = APIResponse.bytes(asset.bytes, type: asset.type)
        // The page shows what senders sent (headers, bodies): scripts only from here, never inline or remote.
        response.headers.append((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        ))
        response.headers.append(("X-Content-Type-Options", "nosniff"))
        return response
    }

    /// The scenario text as loaded (from a file, a bundled name or a `PUT`), `text/yaml`; `404` for the
    /// built-in default persona, which has no text.
    func scenarioSource(onPort portText: String) -> APIResponse {
        let listener: SMTPListener
        switch listeners(withID: portText) {
        case .success(let found): listener = found[0]
        case .failure(let failure): return failure.response
        }
        let scenario = listener.engine.scenario
        guard let source = scenario.source else {
            return .error(404, "scenario \(scenario.name) is built in and has no source text")
        }
        return .bytes(Array(source.utf8), type: "text/yaml; charset=utf-8")
    }

    // MARK: - The change sequence

    /// The number the page long-polls on: it grows whenever a session starts, grows or ends, a message is
    /// stored, the data is reset or a listener's scenario changes. Worked out when asked (and, while a long
    /// poll waits on it, every `ChangeTracker.pollMilliseconds`), so it costs nothing on the SMTP path.
    func currentChange() -> Int {
        let sessions = runtime.sessions.all
        let fingerprint = ChangeTracker.Fingerprint(
            started: runtime.sessions.totalStarted, ended: runtime.sessions.totalEnded,
            accepted: runtime.messages.totalAccepted, retainedSessions: sessions.count,
            openEntries: sessions.reduce(0) { total, session in
                session.ended == nil ? total + session.transcriptEntryCount + session.omittedEntryCount : total
            },
            scenarios: runtime.listeners.map { "\($0.engine.scenario.name)\u{0}\($0.engine.scenario.source ?? "")" })
        if fingerprint != changes.fingerprint {
            changes.fingerprint = fingerprint
            changes.sequence += 1
        }
        return changes.sequence
    }

    /// Calls `reached` on the loop once the change sequence passes `after`, unless the wait ended otherwise.
    func whenChanged(after: Int, forWait number: Int, _ reached: @escaping () -> Void) {
        changes.waiting[number] = (after, reached)
        guard !changes.timer.isPending else { return }
        changes.timer.schedule(milliseconds: ChangeTracker.pollMilliseconds) { [unowned self] in pollChanges() }
    }

    private func pollChanges() {
        let sequence = currentChange()
        for (number, waiter) in changes.waiting.sorted(by: { $0.key < $1.key }) {
            if pendingWaits[number] == nil {
                changes.waiting[number] = nil
            } else if sequence > waiter.after {
                changes.waiting[number] = nil
                waiter.reached()
            }
        }
        guard !changes.waiting.isEmpty else { return }
        changes.timer.schedule(milliseconds: ChangeTracker.pollMilliseconds) { [unowned self] in pollChanges() }
    }
}

/// The state behind `currentChange()`. Loop-confined, like the API that owns it.
struct ChangeTracker {
    /// How often a waiting long poll looks again: quick enough that a person sees a session grow live.
    static let pollMilliseconds = 200

    /// What the page shows, summed up; any difference is a change.
    struct Fingerprint: Equatable {
        var started: Int
        var ended: Int
        var accepted: Int
        var retainedSessions: Int
        var openEntries: Int
        var scenarios: [String]
    }

    var sequence = 0
    var fingerprint: Fingerprint?
    /// Long polls waiting for a change, by their number: the sequence they have seen and what to call.
    var waiting: [Int: (after: Int, reached: () -> Void)] = [:]
    let timer: LoopTimer

    init(loop: EventLoop) {
        timer = LoopTimer(loop: loop)
    }
}
