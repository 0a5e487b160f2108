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
        let list = MessageList(
            total: messages.count, accepted: runtime.messages.totalAccepted, messages: messages.map(\.envelope))
        return .json(list)
    }

    /// The envelope plus `headers` (`[[name, value], …]` in order, unfolded) and `text` (the content as
    /// UTF-8, invalid bytes replaced; `/raw` has the exact bytes).
    func message(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        return .json(
            MessageDetail(
                envelope: message.envelope, headers: message.headerFields.map { [$0.name, $0.value] },
                text: String(decoding: message.content, as: UTF8.self)))
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
        return .json(DeletedCount(deleted: count))
    }

    private func noSuchMessage(_ id: String) -> APIResponse {
        .error(404, "no message with id '\(id)' (it may have been deleted, reset or dropped by retention)")
    }
}

/// `GET /api/v1/messages`.
struct MessageList: Encodable {
    var total: Int
    var accepted: Int
    var messages: [MessageEnvelope]
}

/// `GET /api/v1/messages/{id}`: the envelope's keys and `headers` and `text` beside them, in one object.
struct MessageDetail: Encodable {
    var envelope: MessageEnvelope
    var headers: [[String]]
    var text: String

    func encode(to encoder: any Encoder) throws {
        try envelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(headers, forKey: .headers)
        try container.encode(text, forKey: .text)
    }

    private enum CodingKeys: String, CodingKey {
        case headers, text
    }
}

/// `DELETE /api/v1/messages`: how many were removed.
struct DeletedCount: Encodable {
    var deleted: Int
}
