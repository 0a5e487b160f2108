import Foundation
import MockMXScenario
import StrictJSON

/// `/api/v1/listeners…`: which scenario each listener plays, and switching it at run time.
extension ControlAPI {
    func listListeners() -> APIResponse {
        .json(ListenerList(listeners: runtime.listeners.map(describe)))
    }

    func scenario(onPort portText: String) -> APIResponse {
        switch listeners(withID: portText) {
        case .success(let listeners): .json(ListenerList(listeners: listeners.map(describe)))
        case .failure(let failure): failure.response
        }
    }

    /// Validates the scenario first: one with errors is refused with every diagnostic and the listener
    /// keeps its scenario. A good one applies to sessions that start from now on; open sessions keep the
    /// engine they started with.
    ///
    /// The scenario is the body (YAML or JSON), or a bundled name as `?name=` or as the whole body. Only
    /// bundled names are resolved: the API never reads files on the host's machine. A body sent as JSON
    /// (`Content-Type: application/json`) must be JSON by RFC 8259, not merely YAML that looks like it.
    func replaceScenario(onPort portText: String, _ request: APIRequest) -> APIResponse {
        let listeners: [SMTPListener]
        switch self.listeners(withID: portText) {
        case .success(let found): listeners = found
        case .failure(let failure): return failure.response
        }
        guard let body = String(validating: request.body, as: UTF8.self) else {
            return .error(400, "the body is not UTF-8 text")
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        let scenario: Scenario
        do throws(ScenarioLoadError) {
            if let name = request.query["name"] {
                guard trimmed.isEmpty else { return .error(400, "give a scenario name or a body, not both") }
                scenario = try bundledScenario(name)
            } else if trimmed.isEmpty {
                return .error(400, "send a scenario (YAML or JSON) as the body, or a bundled name (?name=greylist)")
            } else if request.bodyIsJSON {
                if let problem = JSONSyntax.problem(in: request.body) {
                    let kept = listeners.map(\.engine.scenario.name).joined(separator: ", ")
                    let diagnostic = ScenarioDiagnostic(
                        file: "api", line: problem.line, column: problem.column, path: "",
                        message: "invalid JSON: \(problem.message)")
                    return .error(
                        400,
                        "the body is not JSON, as its Content-Type \(request.contentType ?? "") says; "
                            + "the listener keeps scenario \(kept)",
                        diagnostics: [diagnostic.description])
                }
                scenario = try ScenarioLoader.load(yaml: body, file: "api")
            } else if ControlAPI.looksLikeName(trimmed) {
                scenario = try bundledScenario(trimmed)
            } else {
                scenario = try ScenarioLoader.load(yaml: body, file: "api")
            }
        } catch {
            let kept = listeners.map(\.engine.scenario.name).joined(separator: ", ")
            return .error(
                400, "the scenario has \(error.diagnostics.count) error(s); the listener keeps scenario \(kept)",
                diagnostics: error.diagnostics.map(\.description))
        }
        // Mailpit chaos triggers set through its API stay in front of the new scenario's rules.
        let played = runtime.mailpitAPI.map { $0.chaos.applied(to: scenario) } ?? scenario
        for listener in listeners { listener.engine = listener.makeEngine(played) }
        return .json(ListenerList(listeners: listeners.map(describe)))
    }

    func describe(_ listener: SMTPListener) -> ListenerDescription {
        ListenerDescription(
            address: listener.name, host: listener.host, port: listener.port,
            scenario: listener.engine.scenario.name, summary: listener.engine.scenario.summary)
    }

    private func bundledScenario(_ name: String) throws(ScenarioLoadError) -> Scenario {
        let bare = name.hasSuffix(".yaml") ? String(name.dropLast(".yaml".count)) : name
        guard ScenarioLoader.bundledNames.contains(bare) || bare == Scenario.defaultPersona.name else {
            let message = "no bundled scenario named '\(name)'; bundled scenarios: "
                + ScenarioLoader.bundledNames.joined(separator: ", ")
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(file: "api", line: 0, column: 0, path: "", message: message),
            ])
        }
        return try ScenarioLoader.resolve(bare)
    }

    /// One word such as `greylist` or `greylist.yaml`: never a valid scenario document, so it names one.
    private static func looksLikeName(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)
        }
    }
}

/// A response carried as the failure of a lookup.
struct APIResponseFailure: Error {
    let response: APIResponse
    init(_ response: APIResponse) { self.response = response }
}

/// A listener as the API shows it: where it listens and the scenario it plays now.
struct ListenerDescription: Encodable {
    var address: String
    var host: String
    var port: Int
    var scenario: String
    /// The scenario's one-line summary; `null` when it has none.
    var summary: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address, forKey: .address)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(summary, forKey: .summary)
    }

    private enum CodingKeys: String, CodingKey {
        case address, host, port, scenario, summary
    }
}

/// `{"listeners": […]}`.
struct ListenerList: Encodable {
    var listeners: [ListenerDescription]
}
