import Foundation
import MailMIME

/// Mailpit's routes: messages, one message (also `latest`), its raw source, headers and parts, search,
/// deletion, read status, `/api/v1/info` and the probes.
extension MailpitAPI {
    func makeRoutes() -> [APIRoute] {
        typealias Endpoint = APIRoute.Endpoint
        func now(_ handler: @escaping (APIRequest, [String]) -> APIResponse) -> Endpoint {
            Endpoint { request, captures in .now(handler(request, captures)) }
        }
        return [
            APIRoute("/livez", [.get: now { _, _ in MailpitAPI.text("") }]),
            APIRoute("/readyz", [
                .get: now { [unowned self] _, _ in
                    runtime.shuttingDown
                        ? MailpitAPI.text("Service Unavailable\n", status: 503) : MailpitAPI.text("")
                },
            ]),
            APIRoute("/api/v1/messages", [
                .get: now { [unowned self] request, _ in list(request, search: nil) },
                .put: now { [unowned self] request, _ in setReadStatus(request) },
                .delete: now { [unowned self] request, _ in deleteMessages(request) },
            ]),
            APIRoute("/api/v1/search", [
                .get: now { [unowned self] request, _ in search(request) },
                .delete: now { [unowned self] request, _ in deleteSearch(request) },
            ]),
            APIRoute("/api/v1/message/{id}", [
                .get: now { [unowned self] request, captures in
                    withMessage(captures[0], request) { view in
                        readIDs.insert(view.stored.id)
                        return APIResponse.json(view.message)
                    }
                },
            ]),
            APIRoute("/api/v1/message/{id}/headers", [
                .get: now { [unowned self] request, captures in
                    withMessage(captures[0], request) { APIResponse.json($0.headers) }
                },
            ]),
            APIRoute("/api/v1/message/{id}/raw", [
                .get: now { [unowned self] request, captures in
                    withMessage(captures[0], request) { view in
                        var response = APIResponse(
                            status: 200, contentType: "text/plain; charset=utf-8", body: view.stored.content)
                        if request.query["dl"] == "1" {
                            response.headers.append(
                                ("Content-Disposition", "attachment; filename=\"\(view.stored.id).eml\""))
                        }
                        return response
                    }
                },
            ]),
            APIRoute("/api/v1/message/{id}/part/{part}", [
                .get: now { [unowned self] request, captures in
                    withMessage(captures[0], request) { view in
                        guard let part = (view.mime.attachments + view.mime.inline)
                            .first(where: { $0.partID == captures[1] })
                        else { return MailpitAPI.notFound }
                        let name = part.fileName.isEmpty ? part.contentID : part.fileName
                        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""
                        return APIResponse(
                            status: 200, contentType: part.contentType, body: part.content,
                            headers: [("Content-Disposition", "inline; filename=\"\(escaped)\"")])
                    }
                },
            ]),
            APIRoute("/api/v1/info", [.get: now { [unowned self] _, _ in info() }]),
            APIRoute("/api/v1/chaos", [
                .get: now { [unowned self] _, _ in APIResponse.json(chaos) },
                .put: now { [unowned self] request, _ in setChaos(request) },
            ]),
        ]
    }

    /// The retained messages, newest first as Mailpit lists them, each read once.
    private var views: [MailpitView] { runtime.messages.all.reversed().map(MailpitView.init) }

    private func isRead(_ id: String) -> Bool { readIDs.contains(id) }

    /// `start` and `limit` as Mailpit reads them: defaults 0 and 50, anything unreadable or negative ignored.
    private func paging(_ request: APIRequest) -> (start: Int, limit: Int) {
        let start = request.query["start"].flatMap(Int.init).map { max(0, $0) } ?? 0
        let limit = request.query["limit"].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil } ?? 50
        return (start, limit)
    }

    private func list(_ request: APIRequest, search: MailpitSearch?) -> APIResponse {
        guard let search else { return listPage(request) }
        let all = views
        let matching = all.filter { search.matches($0, read: isRead($0.stored.id)) }
        let (start, limit) = paging(request)
        let page = matching.dropFirst(start).prefix(limit)
        let unread = all.count { !isRead($0.stored.id) }
        return APIResponse.json(
            MailpitShapes.List(
                total: all.count, unread: unread, count: page.count, messages_count: matching.count,
                messages_unread: matching.count { !isRead($0.stored.id) }, start: start, tags: [],
                messages: page.map { $0.summary(read: isRead($0.stored.id)) }))
    }

    /// The list without a search: only the page's messages are parsed (a search must read them all). Parsing
    /// every retained message for each page took 45 ms of the loop per request with 2,000 retained.
    private func listPage(_ request: APIRequest) -> APIResponse {
        let (start, limit) = paging(request)
        let (total, newest) = runtime.messages.newestFirst(start: start, limit: limit)
        let read = readIDs.isEmpty ? 0 : runtime.messages.count { readIDs.contains($0.id) }
        return APIResponse.json(
            MailpitShapes.List(
                total: total, unread: total - read, count: newest.count, messages_count: total,
                messages_unread: total - read, start: start, tags: [],
                messages: newest.map { MailpitView($0).summary(read: isRead($0.id)) }))
    }

    private func search(_ request: APIRequest) -> APIResponse {
        switch parsedQuery(request) {
        case .success(let search): list(request, search: search)
        case .failure(let failure): failure.response
        }
    }

    private func parsedQuery(_ request: APIRequest) -> Result<MailpitSearch, APIResponseFailure> {
        let query = (request.query["query"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return .failure(APIResponseFailure(MailpitAPI.badRequest("Error: no search query"))) }
        do throws(MailpitSearch.Problem) {
            return .success(try MailpitSearch(query))
        } catch {
            return .failure(APIResponseFailure(MailpitAPI.badRequest(error.message)))
        }
    }

    /// The message by ID, or the newest (`latest`, within `?query=` when given): 404 as Mailpit answers.
    private func withMessage(_ id: String, _ request: APIRequest, _ body: (MailpitView) -> APIResponse) -> APIResponse {
        if id == "latest" {
            var search: MailpitSearch?
            if let query = request.query["query"], !query.trimmingCharacters(in: .whitespaces).isEmpty {
                switch parsedQuery(request) {
                case .success(let parsed): search = parsed
                case .failure(let failure): return failure.response
                }
            }
            // Lazily: each message is parsed only until the newest that matches.
            let latest = runtime.messages.all.reversed().lazy.map(MailpitView.init)
                .first { search?.matches($0, read: isRead($0.stored.id)) ?? true }
            guard let latest else { return MailpitAPI.text("Message not found", status: 404) }
            return body(latest)
        }
        guard let stored = runtime.messages.message(id: id) else { return MailpitAPI.notFound }
        return body(MailpitView(stored))
    }

    /// `{"IDs": [...]}` deletes those (unknown ones ignored); no body, or one that is not such JSON, deletes
    /// every message — Mailpit's own rule, which its clients rely on.
    private func deleteMessages(_ request: APIRequest) -> APIResponse {
        struct Body: Decodable { var IDs: [String]? }
        let ids = (try? JSONDecoder().decode(Body.self, from: Data(request.body)))?.IDs ?? []
        delete(ids.isEmpty ? nil : Set(ids))
        return MailpitAPI.text("ok")
    }

    private func deleteSearch(_ request: APIRequest) -> APIResponse {
        switch parsedQuery(request) {
        case .success(let search):
            delete(Set(views.filter { search.matches($0, read: isRead($0.stored.id)) }.map(\.stored.id)))
            return MailpitAPI.text("ok")
        case .failure(let failure):
            return failure.response
        }
    }

    /// Deletes these messages, or all of them with nil.
    private func delete(_ ids: Set<String>?) {
        let before = runtime.messages.all.count
        if let ids {
            runtime.messages.remove(where: { ids.contains($0.id) })
        } else {
            runtime.messages.remove(where: { _ in true })
        }
        deletedCount += before - runtime.messages.all.count
        let kept = Set(runtime.messages.all.map(\.id))
        readIDs.formIntersection(kept)
    }

    /// `{"Read": true, "IDs": [...]}` or `{"Read": false, "Search": "..."}`; neither marks every message.
    private func setReadStatus(_ request: APIRequest) -> APIResponse {
        struct Body: Decodable {
            var Read: Bool?
            var IDs: [String]?
            var Search: String?
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(request.body))
        } catch {
            return MailpitAPI.badRequest(MailpitAPI.describe(error))
        }
        let ids = body.IDs ?? []
        let searchText = (body.Search ?? "").trimmingCharacters(in: .whitespaces)
        if !ids.isEmpty, !searchText.isEmpty {
            return MailpitAPI.badRequest("You may specify either IDs or a search query, not both")
        }
        var targets = Set(runtime.messages.all.map(\.id))
        if !ids.isEmpty {
            targets.formIntersection(ids)
        } else if !searchText.isEmpty {
            let search: MailpitSearch
            do throws(MailpitSearch.Problem) {
                search = try MailpitSearch(searchText)
            } catch {
                return MailpitAPI.badRequest(error.message)
            }
            targets = Set(views.filter { search.matches($0, read: isRead($0.stored.id)) }.map(\.stored.id))
        }
        if body.Read ?? false { readIDs.formUnion(targets) } else { readIDs.subtract(targets) }
        return MailpitAPI.text("ok")
    }

    private func info() -> APIResponse {
        let all = runtime.messages.all
        return APIResponse.json(
            MailpitShapes.Info(
                Version: "mockmx", LatestVersion: "disabled", Database: "", DatabaseSize: 0, Messages: all.count,
                Unread: all.count { !isRead($0.id) }, Tags: [:],
                RuntimeStats: MailpitShapes.RuntimeStats(
                    Uptime: Int(Date().timeIntervalSince(startedAt)), Memory: 0, MessagesDeleted: deletedCount,
                    SMTPAccepted: runtime.messages.totalAccepted,
                    SMTPAcceptedSize: all.reduce(0) { $0 + $1.size }, SMTPRejected: 0, SMTPIgnored: 0)))
    }

    /// A JSON decoding error in one line, as Go's decoder words its own.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?: "invalid JSON: \(context.debugDescription)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "wrong type for \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "invalid JSON body"
        }
    }
}
