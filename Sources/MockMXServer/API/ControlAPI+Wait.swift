import CLibEvent
import Foundation
import MockMXScenario

/// A long poll (`/api/v1/wait`) holding its evhttp request until the counters reach their targets.
final class PendingWait {
    let number: Int
    let handle: OpaquePointer
    unowned let api: ControlAPI
    /// The counters not yet seen at their target.
    var unreached: Set<WaitCounter>
    /// What the client waits for, for the 408 message.
    let description: String
    let timeout: LoopTimer
    /// Watches the client's socket meanwhile: evhttp stops reading once a request is complete, so
    /// without this a client that gave up would only be noticed when the answer is written.
    var clientWatch: OpaquePointer?
    /// Whether the answer carries the change sequence (only when asked, so other answers keep their shape).
    var reportsChange = false

    init(number: Int, handle: OpaquePointer, api: ControlAPI, unreached: Set<WaitCounter>, description: String) {
        self.number = number
        self.handle = handle
        self.api = api
        self.unreached = unreached
        self.description = description
        self.timeout = LoopTimer(loop: api.runtime.loop)
    }
}

/// What a long poll waits for, named as in its query.
enum WaitCounter: String, CaseIterable {
    /// Messages accepted.
    case messages
    /// Sessions ended.
    case sessions
    /// The change sequence (`ControlAPI+UI.swift`) passed the number given.
    case change
}

/// A long poll's answer; `error` only on a 408.
struct WaitCounts: Encodable {
    /// Messages accepted since start or reset.
    var messages: Int
    /// Sessions ended since start or reset.
    var sessions: Int
    /// The change sequence now, when the wait asked for `change=`: the next long poll waits for it to grow past this.
    var change: Int?
    var error: String?
}

/// How a long poll ends.
enum WaitOutcome {
    case reached, timedOut, hostStopping
}

/// `GET /api/v1/wait?messages=N&sessions=N&timeout=5s`: answers `200` as soon as `messages` messages were
/// accepted and `sessions` sessions ended (since start or reset), `408` when the timeout passes first.
///
/// The loop never blocks: the request is parked with a loop timer for the timeout, and the stores call
/// back on the thread that stored the message or ended the session — the loop thread — which hands the
/// answer over through `execute`. The answer never waits for a Swift task, so a test process whose
/// cooperative threads are all blocked (say, in a synchronous HTTP call to this very endpoint) still gets it.
extension ControlAPI {
    static let defaultWaitMilliseconds = 5_000
    static let maxWaitMilliseconds = 300_000

    func wait(_ request: APIRequest) -> APIReply {
        var targets: [WaitCounter: Int] = [:]
        for counter in WaitCounter.allCases {
            guard let text = request.query[counter.rawValue] else { continue }
            guard let value = Int(text), value >= 0 else {
                return .now(.error(400, "\(counter.rawValue) must be a whole number ≥ 0, found '\(text)'"))
            }
            targets[counter] = value
        }
        guard !targets.isEmpty else {
            return .now(.error(
                400, "give messages=N (messages accepted), sessions=N (sessions ended) and/or change=N (anything new)"))
        }
        let milliseconds: Int
        switch ControlAPI.waitMilliseconds(request.query["timeout"]) {
        case .success(let value): milliseconds = value
        case .failure(let problem): return .now(.error(400, problem.message))
        }
        let messageTarget = targets[.messages]
        let sessionTarget = targets[.sessions]
        let messagesReached = messageTarget.map { runtime.messages.totalAccepted >= $0 } ?? true
        let sessionsReached = sessionTarget.map { runtime.sessions.totalEnded >= $0 } ?? true
        let changeTarget = targets[.change]
        let changeReached = changeTarget.map { currentChange() > $0 } ?? true
        if messagesReached, sessionsReached, changeReached {
            return .now(waitCounts(status: 200, reportsChange: changeTarget != nil))
        }

        let number = nextWaitNumber
        nextWaitNumber += 1
        let description = [
            messageTarget.map { "\($0) message(s)" }, sessionTarget.map { "\($0) ended session(s)" },
            changeTarget.map { "a change after \($0)" },
        ].compactMap { $0 }.joined(separator: " and ")
        // The counters call back even when already reached; the change sequence is only watched while it is not.
        var unreached = Set(targets.keys)
        if changeReached { unreached.remove(.change) }
        let pending = PendingWait(
            number: number, handle: request.handle, api: self, unreached: unreached, description: description)
        pending.reportsChange = changeTarget != nil
        pendingWaits[number] = pending
        pending.timeout.schedule(milliseconds: milliseconds) { [unowned self] in
            finishWait(number, outcome: .timedOut)
        }
        watchClient(pending)

        if let changeTarget, !changeReached {
            whenChanged(after: changeTarget, forWait: number) { [unowned self] in
                counterReached(.change, forWait: number)
            }
        }
        let loop = runtime.loop
        let api = LoopBound(self)
        let timeout = Duration.milliseconds(milliseconds)
        if let messageTarget {
            runtime.messages.whenTotal(reaches: messageTarget, timeout: timeout) { reached in
                if reached { loop.execute { api.value.counterReached(.messages, forWait: number) } }
            }
        }
        if let sessionTarget {
            runtime.sessions.whenEnded(reaches: sessionTarget, timeout: timeout) { reached in
                if reached { loop.execute { api.value.counterReached(.sessions, forWait: number) } }
            }
        }
        return .later
    }

    private func counterReached(_ counter: WaitCounter, forWait number: Int) {
        guard let pending = pendingWaits[number] else { return }
        pending.unreached.remove(counter)
        if pending.unreached.isEmpty { finishWait(number, outcome: .reached) }
    }

    /// Answers a parked long poll, unless its client went away or it was answered already.
    func finishWait(_ number: Int, outcome: WaitOutcome) {
        guard let pending = pendingWaits.removeValue(forKey: number) else { return }
        pending.timeout.cancel()
        stopWatching(pending)
        switch outcome {
        case .reached:
            send(waitCounts(status: 200, reportsChange: pending.reportsChange), to: pending.handle)
        case .timedOut:
            let error = "timed out waiting for \(pending.description)"
            send(waitCounts(status: 408, error: error, reportsChange: pending.reportsChange), to: pending.handle)
        case .hostStopping:
            send(.error(503, "the host is shutting down"), to: pending.handle)
        }
    }

    /// `{"messages": accepted, "sessions": ended}` as they are now, plus the error for a 408.
    private func waitCounts(status: Int, error: String? = nil, reportsChange: Bool) -> APIResponse {
        .json(
            WaitCounts(
                messages: runtime.messages.totalAccepted, sessions: runtime.sessions.totalEnded,
                change: reportsChange ? currentChange() : nil, error: error),
            status: status)
    }

    // MARK: - The client going away

    private func watchClient(_ pending: PendingWait) {
        guard let connection = evhttp_request_get_connection(pending.handle),
            let bufferEvent = evhttp_connection_get_bufferevent(connection)
        else { return }
        let fd = bufferevent_getfd(bufferEvent)
        guard fd >= 0 else { return }
        // A second event on the connection's socket, beside evhttp's own (whose reading is off meanwhile).
        pending.clientWatch = event_new(
            runtime.loop.base, fd, Int16(EV_READ),
            { fd, _, context in
                let pending = Unmanaged<PendingWait>.fromOpaque(context!).takeUnretainedValue()
                pending.api.clientReadable(pending, fd: fd)
            },
            Unmanaged.passUnretained(pending).toOpaque())
        event_add(pending.clientWatch, nil)
    }

    private func clientReadable(_ pending: PendingWait, fd: Int32) {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if count > 0 {
            // A request pipelined behind this one: evhttp reads it after this answer. Not watched further, as a
            // level-triggered read event would fire again and again; a client leaving now is noticed on writing.
            stopWatching(pending)
        } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            guard pendingWaits.removeValue(forKey: pending.number) != nil else { return }
            pending.timeout.cancel()
            stopWatching(pending)
            // The request still belongs to its connection: freeing the connection frees both.
            if let connection = evhttp_request_get_connection(pending.handle) { evhttp_connection_free(connection) }
        } else {
            event_add(pending.clientWatch, nil)
        }
    }

    private func stopWatching(_ pending: PendingWait) {
        guard let watch = pending.clientWatch else { return }
        event_free(watch)
        pending.clientWatch = nil
    }

    // MARK: - Timeout syntax

    struct WaitProblem: Error {
        var message: String
    }

    /// A duration as scenarios write them (`500ms`, `5s`, `1m`); default 5 s, at most 5 minutes.
    static func waitMilliseconds(_ text: String?) -> Result<Int, WaitProblem> {
        guard let text else { return .success(defaultWaitMilliseconds) }
        switch ScenarioDuration.milliseconds(text) {
        case .failure(let error):
            return .failure(WaitProblem(message: "timeout: \(error.message)"))
        case .success(let milliseconds) where milliseconds > maxWaitMilliseconds:
            return .failure(WaitProblem(message: "timeout must be at most 5m, found '\(text)'"))
        case .success(let milliseconds):
            return .success(milliseconds)
        }
    }
}
