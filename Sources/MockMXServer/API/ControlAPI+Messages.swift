import Foundation
import StrictJSON

/// `/api/v1/messages…`: what the host accepted.
extension ControlAPI {
    /// `{"total", "accepted", "dropped", "messages"}`: `total` counts the listed messages (after the filters),
    /// `accepted` every message since start or the last reset, including the `dropped` ones retention no longer
    /// keeps in memory. Each message says where its content is (`contentIn`: `memory` or `spool`).
    func listMessages(_ request: APIRequest) -> APIResponse {
        let page: ListPage
        switch ListPage.requested(by: request) {
        case .success(let requested): page = requested
        case .failure(let error): return error.response
        }
        let recipient = request.query["recipient"]?.lowercased()
        let sender = request.query["sender"]?.lowercased()
        let filter: ((StoredMessage) -> Bool)? = recipient == nil && sender == nil ? nil : { message in
            (recipient.map { wanted in message.recipients.contains { $0.lowercased() == wanted } } ?? true)
                && (sender.map { message.mailFrom.lowercased() == $0 } ?? true)
        }
        let listed: (total: Int, start: Int, messages: [JSONFragment])
        do {
            listed = try runtime.messages.page(page, matching: filter) { message in
                try JSONBytesEncoder().encode(ListedMessage(message))
            }
        } catch {
            return .error(500, "a message could not be encoded: \(error)")
        }
        let list = MessageList(
            total: listed.total, start: listed.start, count: listed.messages.count,
            accepted: runtime.messages.totalAccepted, dropped: runtime.messages.totalDropped,
            messages: listed.messages)
        return .json(list)
    }

    /// The envelope plus `headers` (`[[name, value], …]` in order, unfolded) and `text` (the content as
    /// UTF-8, invalid bytes replaced; `/raw` has the exact bytes).
    /// A message kept on disk only (larger than the memory budget) has `text: null` and the header fields
    /// read from the head of its spool file.
    func message(_ id: String) -> APIResponse {
        guard var message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        if let spooled = message.spooled { message.content = spooledHead(spooled) }
        return .json(
            MessageDetail(
                listed: ListedMessage(message), headers: message.headerFields.map { [$0.name, $0.value] },
                text: message.spooled == nil ? String(decoding: message.content, as: UTF8.self) : nil))
    }

    func rawMessage(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        if let spooled = message.spooled { return .file(spooled.file, size: spooled.size, type: "message/rfc822") }
        return .bytes(message.content, type: "message/rfc822")
    }

    func xexch50Blob(_ id: String) -> APIResponse {
        guard let message = runtime.messages.message(id: id) else { return noSuchMessage(id) }
        guard let blob = message.xexch50 else { return .error(404, "message \(id) came without an XEXCH50 blob") }
        if let file = message.spooled?.xexch50File, let size = message.spooled?.xexch50Size {
            return .file(file, size: size, type: "application/octet-stream")
        }
        return .bytes(blob.bytes, type: "application/octet-stream")
    }

    /// Enough of a spooled message's start for its header section, without reading the whole file.
    private func spooledHead(_ spooled: SpooledContent) -> [UInt8] {
        guard let handle = try? FileHandle(forReadingFrom: spooled.file) else { return [] }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: 256 << 10)) ?? Data())
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
    var start: Int
    var count: Int
    var accepted: Int
    var dropped: Int
    /// Each a ``ListedMessage``, as its message caches it.
    var messages: [JSONFragment]
}

/// A message in the API: the envelope's keys and `contentIn` beside them.
struct ListedMessage: Encodable {
    var envelope: MessageEnvelope
    /// `memory`, or `spool` for a message larger than the memory budget, whose content is in the spool only
    /// (`/raw` serves it from there).
    var contentIn: String

    init(_ message: StoredMessage) {
        envelope = message.envelope
        contentIn = message.spooled == nil ? "memory" : "spool"
    }

    func encode(to encoder: any Encoder) throws {
        try envelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(contentIn, forKey: .contentIn)
    }

    private enum CodingKeys: String, CodingKey {
        case contentIn
    }
}

/// `GET /api/v1/messages/{id}`: the listed message's keys and `headers` and `text` beside them, in one object.
struct MessageDetail: Encodable {
    var listed: ListedMessage
    var headers: [[String]]
    /// nil for a message whose content is in the spool only.
    var text: String?

    func encode(to encoder: any Encoder) throws {
        try listed.encode(to: encoder)
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
