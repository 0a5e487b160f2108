import Foundation

/// `/api/v1/messages…`: what the host accepted.
extension ControlAPI {
    /// `{"total", "accepted", "messages"}`: `total` counts the listed messages (after the filters),
    /// `accepted` every message since start or the last reset, including those retention dropped.
    func listMessages(_ request: APIRequest) -> APIResponse {
        var messages = runtime.messages.all
        if let recipient = request.query["recipient"]?.lowercased() {
            messages = messages.filter { $0.recipients.contains { $0.lowercased() == recipient } }
        }
        if let sender = request.query["sender"]?.lowercased() {
            messages = messages.filter { $0.mailFrom.lowercased() == sender }
        }
        return .json([
            "total": messages.count,
            "accepted": runtime.messages.totalAccepted,
            "messages": messages.map(\.envelope),
        ])
    }

    /// The envelope plus `headers` (`[[name, value], …]` in order, unfolded) and `text` (the content as
    /// UTF-8, invalid bytes replaced; `/raw` has the exact bytes).
    func message(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        var document = message.envelope
        document["headers"] = message.headerFields.map { [$0.name, $0.value] }
        document["text"] = String(decoding: message.content, as: UTF8.self)
        return .json(document)
    }

    func rawMessage(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        return .bytes(message.content, type: "message/rfc822")
    }

    func xexch50Blob(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        guard let blob = message.xexch50 else { return .error(404, "message \(id) came without an XEXCH50 blob") }
        return .bytes(blob.bytes, type: "application/octet-stream")
    }

    func deleteMessages() -> APIResponse {
        let count = runtime.messages.all.count
        runtime.messages.removeAll()
        return .json(["deleted": count])
    }

    private func noSuchMessage(_ id: String) -> APIResponse {
        .error(404, "no message with id '\(id)' (it may have been deleted, reset or dropped by retention)")
    }
}
