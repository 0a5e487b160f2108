import Foundation
import MockMXVerdicts

/// `GET /api/v1/verdicts`: the judgment of the senders under test on the retained sessions.
extension ControlAPI {
    /// `{"summary", "verdicts"}`, filtered by `?client=`, `?check=`, `?session=`; `?format=junit` gives JUnit XML.
    func verdicts(_ request: APIRequest) -> APIResponse {
        let filter = VerdictFilter(
            client: request.query["client"], check: request.query["check"], session: request.query["session"])
        if let problem = filter.problem { return .error(400, problem) }
        let format = request.query["format"] ?? "json"
        guard format == "json" || format == "junit" else {
            return .error(400, "unknown format '\(format)'; formats: json, junit")
        }
        let messageIDs = messageIDsBySession()
        let sessions = runtime.sessions.all
        if let id = filter.session, !sessions.contains(where: { $0.id == id }) {
            return .error(404, "no session with id '\(id)' (it may have been reset or dropped by retention)")
        }
        let recorded = sessions.map { $0.recorded(messages: messageIDs[$0.id] ?? []) }
        let report = filter.apply(VerdictEngine().judge(recorded, now: Date().timeIntervalSince1970))
        guard format == "junit" else { return .json(report) }
        return .bytes(Array(JUnitReport.render(report).utf8), type: "application/xml")
    }
}
