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
        if let id = filter.session, runtime.sessions.session(id: id) == nil {
            return .error(404, "no session with id '\(id)' (it may have been reset or dropped by retention)")
        }
        let report = filter.apply(LiveVerdicts.judge(runtime.sessions, runtime.messages, runtime.dnsQueries))
        guard format == "junit" else { return .json(report) }
        return .bytes(Array(JUnitReport.render(report).utf8), type: "application/xml")
    }
}
