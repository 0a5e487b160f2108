import Foundation
import MockMXScenario
import MockMXTranscripts
import StrictJSON

/// `/api/v1/diff`: two sessions compared as dialogues, as `mockmx diff` does (``GoldenTranscript``) —
/// `GET ?a=ID&b=ID` for two sessions of this host, `POST` with `{"a": …, "b": …}` where each side is a
/// session id or a session document (a golden file's content).
extension ControlAPI {
    static let diffParameters: Set<String> = ["a", "b", "exact", "notes", "timing"]

    func diffSessions(_ request: APIRequest) -> APIResponse {
        guard let a = request.query["a"], let b = request.query["b"] else {
            return .error(400, "give two session ids: ?a=ID&b=ID (or POST {\"a\": …, \"b\": …} with golden sessions)")
        }
        return diff(.id(a), .id(b), optionsText: (request.query["exact"], request.query["notes"], request.query["timing"]))
    }

    func diffBodies(_ request: APIRequest) -> APIResponse {
        if let problem = JSONSyntax.problem(in: request.body) {
            return .error(400, "the body is not JSON: line \(problem.line), column \(problem.column): \(problem.message)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return .error(400, "the body must be a JSON object {\"a\": …, \"b\": …}")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.diffParameters.contains($0) }) {
            return .error(400, "unknown field '\(unknown)'; the body takes a, b, exact, notes, timing")
        }
        var sides: [DiffSide] = []
        for key in ["a", "b"] {
            switch object[key] {
            case let id as String: sides.append(.id(id))
            case let session as [String: Any]:
                guard let data = try? JSONSerialization.data(withJSONObject: session) else {
                    return .error(400, "'\(key)' cannot be read as a session")
                }
                sides.append(.document(data))
            case nil: return .error(400, "'\(key)' is missing: a session id, or a session as GET /api/v1/sessions/{id} gives it")
            default: return .error(400, "'\(key)' must be a session id (string) or a session (object)")
            }
        }
        let options: DiffOptionsBody
        do {
            options = try JSONDecoder().decode(DiffOptionsBody.self, from: Data(request.body))
        } catch {
            return .error(400, "'exact' and 'notes' must be true or false, 'timing' a duration such as \"200ms\"")
        }
        return diff(
            sides[0], sides[1],
            optionsText: (options.exact.map { "\($0)" }, options.notes.map { "\($0)" }, options.timing))
    }

    enum DiffSide {
        case id(String)
        case document(Data)
    }

    private func diff(_ a: DiffSide, _ b: DiffSide, optionsText: (String?, String?, String?)) -> APIResponse {
        var options = GoldenTranscript.Options()
        for (name, value) in [("exact", optionsText.0), ("notes", optionsText.1)] {
            guard let value else { continue }
            guard let flag = ["true": true, "false": false, "1": true, "0": false, "": true][value] else {
                return .error(400, "'\(name)' must be true or false, found '\(value)'")
            }
            if name == "exact" { options.exact = flag } else { options.notes = flag }
        }
        if let timing = optionsText.2 {
            guard case .success(let milliseconds) = ScenarioDuration.milliseconds(timing) else {
                return .error(400, "'timing' must be a duration such as 200ms or 1s, found '\(timing)'")
            }
            options.timingToleranceMilliseconds = milliseconds
        }
        var dialogues: [[GoldenTranscript.Line]] = []
        var labels: [String] = []
        for (key, side) in [("a", a), ("b", b)] {
            let data: Data
            switch side {
            case .id(let id):
                guard let session = runtime.sessions.session(id: id) else {
                    return .error(404, "'\(key)': no session with id '\(id)' (it may have been reset or dropped by retention)")
                }
                data = Data((try? JSONBytesEncoder().encode(session.recorded())) ?? [])
                labels.append(id)
            case .document(let document):
                data = document
                labels.append(key == "a" ? "a (document)" : "b (document)")
            }
            do throws(GoldenTranscript.Failure) {
                dialogues.append(try GoldenTranscript.dialogue(sessionJSON: data, options: options))
            } catch {
                return .error(400, "'\(key)' is not a session: \(error.description)")
            }
        }
        let difference = GoldenTranscript.difference(
            dialogues[0], dialogues[1], labels: (labels[0], labels[1]), options: options)
        return .json(DiffReport(
            equal: difference == nil, a: labels[0], b: labels[1], lines: dialogues[0].count,
            diff: difference.map { $0.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) } ?? []))
    }
}

/// `{"equal", "a", "b", "lines", "diff"}`: `diff` holds `mockmx diff`'s output lines (`--- a`, `+++ b`, then
/// `  `, `- `, `+ ` or `~ ` before each dialogue line), empty when the dialogues match.
/// The options of a `POST` body: decoded strictly, so `"notes": 1` is refused rather than read as true.
private struct DiffOptionsBody: Decodable {
    var exact: Bool?
    var notes: Bool?
    var timing: String?
}

struct DiffReport: Encodable {
    var equal: Bool
    var a: String
    var b: String
    /// Dialogue lines in A (after masking).
    var lines: Int
    var diff: [String]
}
