/// One path of the API and what each method does there.
struct APIRoute {
    struct Endpoint {
        /// The query parameters this endpoint understands; any other is refused, so a typo
        /// (`?recipent=`) is an error instead of a filter silently not applied.
        var parameters: Set<String> = []
        /// Longer bodies get `413` in JSON before the handler runs.
        var maxBodySize = ControlAPI.maxIgnoredBodySize
        var handle: (APIRequest, _ captures: [String]) -> APIReply
    }

    /// Segments; `{}` matches any one segment, which is passed to the handler.
    let pattern: [String]
    let endpoints: [APIMethod: Endpoint]

    init(_ pattern: String, _ endpoints: [APIMethod: Endpoint]) {
        self.pattern = pattern.split(separator: "/").map { $0.hasPrefix("{") ? "{}" : String($0) }
        self.endpoints = endpoints
    }

    func captures(_ path: [String]) -> [String]? {
        guard path.count == pattern.count else { return nil }
        var captures: [String] = []
        for (segment, expected) in zip(path, pattern) {
            if expected == "{}" {
                captures.append(segment)
            } else if segment != expected {
                return nil
            }
        }
        return captures
    }

    /// The `Allow` header: HEAD goes wherever GET does (evhttp leaves the body out).
    var allow: String {
        APIMethod.allCases.filter { endpoints[$0] != nil || ($0 == .head && endpoints[.get] != nil) }
            .map(\.rawValue).joined(separator: ", ")
    }
}

extension ControlAPI {
    func makeRoutes() -> [APIRoute] {
        typealias Endpoint = APIRoute.Endpoint
        return [
            APIRoute("/healthz", [.get: Endpoint { [unowned self] _, _ in .now(health()) }]),
            APIRoute("/metrics", [.get: Endpoint { [unowned self] _, _ in .now(metricsText()) }]),
            APIRoute("/api/v1/messages", [
                .get: Endpoint(parameters: ["recipient", "sender", "start", "limit"]) { [unowned self] request, _ in
                    .now(listMessages(request))
                },
                .delete: Endpoint { [unowned self] _, _ in .now(deleteMessages()) },
            ]),
            APIRoute("/api/v1/messages/{id}", [
                .get: Endpoint { [unowned self] _, captures in .now(message(captures[0])) },
            ]),
            APIRoute("/api/v1/messages/{id}/raw", [
                .get: Endpoint { [unowned self] _, captures in .now(rawMessage(captures[0])) },
            ]),
            APIRoute("/api/v1/messages/{id}/xexch50", [
                .get: Endpoint { [unowned self] _, captures in .now(xexch50Blob(captures[0])) },
            ]),
            APIRoute("/api/v1/sessions", [
                .get: Endpoint(parameters: ["start", "limit"]) { [unowned self] request, _ in .now(listSessions(request)) },
            ]),
            APIRoute("/api/v1/sessions/{id}", [
                .get: Endpoint { [unowned self] _, captures in .now(session(captures[0])) },
            ]),
            APIRoute("/api/v1/verdicts", [
                .get: Endpoint(parameters: ["client", "check", "session", "format"]) { [unowned self] request, _ in
                    .now(verdicts(request))
                },
            ]),
            APIRoute("/api/v1/wait", [
                .get: Endpoint(parameters: ["change", "messages", "sessions", "timeout"]) { [unowned self] request, _ in
                    wait(request)
                },
            ]),
            APIRoute("/api/v1/listeners", [.get: Endpoint { [unowned self] _, _ in .now(listListeners()) }]),
            APIRoute("/api/v1/listeners/{id}/scenario", [
                .get: Endpoint { [unowned self] _, captures in .now(scenario(onPort: captures[0])) },
                .put: Endpoint(parameters: ["name"], maxBodySize: ControlAPI.maxScenarioSize) {
                    [unowned self] request, captures in
                    .now(replaceScenario(onPort: captures[0], request))
                },
            ]),
            APIRoute("/api/v1/dns", [
                .get: Endpoint(parameters: ["start", "limit"]) { [unowned self] request, _ in
                    .now(listDNSQueries(request))
                },
            ]),
            APIRoute("/api/v1/listeners/{id}/state", [
                .get: Endpoint { [unowned self] _, captures in .now(keyedState(onListener: captures[0])) },
            ]),
            APIRoute("/api/v1/listeners/{id}/record", [
                .post: Endpoint { [unowned self] _, captures in .now(startRecording(onListener: captures[0])) },
                .get: Endpoint(parameters: ["format"]) { [unowned self] request, captures in
                    .now(recordedScenario(onListener: captures[0], request, stop: false))
                },
                .delete: Endpoint(parameters: ["format"]) { [unowned self] request, captures in
                    .now(recordedScenario(onListener: captures[0], request, stop: true))
                },
            ]),
            APIRoute("/api/v1/diff", [
                .get: Endpoint(parameters: ControlAPI.diffParameters) { [unowned self] request, _ in
                    .now(diffSessions(request))
                },
                .post: Endpoint(maxBodySize: ControlAPI.maxBodySize) { [unowned self] request, _ in
                    .now(diffBodies(request))
                },
            ]),
            APIRoute("/api/v1/reset", [
                .post: Endpoint(parameters: ["scenarios"]) { [unowned self] request, _ in .now(reset(request)) },
            ]),
        ]
    }

    func route(_ request: APIRequest) -> APIReply {
        for route in routes {
            guard let captures = route.captures(request.path) else { continue }
            guard let endpoint = route.endpoints[request.method == .head ? .get : request.method] else {
                var response = APIResponse.error(
                    405, "\(request.method.rawValue) is not allowed on \(request.pathText); use \(route.allow)")
                response.headers.append(("Allow", route.allow))
                return .now(response)
            }
            if request.body.count > endpoint.maxBodySize {
                return .now(
                    .error(
                        413,
                        "\(request.method.rawValue) \(request.pathText) takes a body of at most \(endpoint.maxBodySize) "
                            + "bytes; this one has \(request.body.count)"))
            }
            if let unknown = request.query.keys.sorted().first(where: { !endpoint.parameters.contains($0) }) {
                let known = endpoint.parameters.isEmpty
                    ? "it takes none" : "it takes " + endpoint.parameters.sorted().joined(separator: ", ")
                return .now(.error(400, "unknown query parameter '\(unknown)' for \(request.pathText); \(known)"))
            }
            if let (name, count) = request.repeatedQuery.min(by: { $0.key < $1.key }) {
                return .now(.error(400, "query parameter '\(name)' is given \(count) times; give it once"))
            }
            return endpoint.handle(request, captures)
        }
        return .now(.error(404, "no such endpoint: \(request.pathText)"))
    }
}
