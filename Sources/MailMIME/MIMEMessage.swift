/// A part that is not the message's text or HTML body, as Mailpit lists it.
public struct MIMEAttachment: Sendable, Equatable {
    /// Position in the MIME tree, 1-based and dotted (`2`, `1.3`), as Mailpit numbers parts.
    public var partID: String
    public var fileName: String
    public var contentType: String
    /// `Content-ID` without its angle brackets; empty when the part has none.
    public var contentID: String
    /// The content after its transfer encoding is undone.
    public var content: [UInt8]

    public var size: Int { content.count }
}

/// How far the reader goes into a message: nesting and part counts beyond these are not read, so a message
/// built to exhaust a reader costs a bounded amount of work.
public struct MIMELimits: Sendable {
    public var maxDepth: Int
    public var maxParts: Int

    public init(maxDepth: Int = 16, maxParts: Int = 256) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
    }
}

/// What a mail reader shows of a message: its header fields, the text and HTML bodies (transfer encoding and
/// character set undone) and the other parts. Pure; never fails: whatever cannot be read is left out or kept
/// as written, as a lenient mail reader does.
public struct MIMEMessage: Sendable {
    public var fields: [MIMEHeaderField]
    public var text = ""
    public var html = ""
    public var inline: [MIMEAttachment] = []
    public var attachments: [MIMEAttachment] = []
    /// Whether the limits stopped the reader before the end of the tree.
    public var truncated = false
    private var partsRead = 0

    public init(parsing bytes: [UInt8], limits: MIMELimits = MIMELimits()) {
        let (fields, body) = MIMEHeaders.split(bytes[...])
        self.fields = fields
        walk(fields: fields, body: body, path: [], depth: 0, inRelated: false, limits: limits)
    }

    /// The first field of that name (case-insensitive), as written.
    public func field(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The field's value with encoded words decoded; empty when absent.
    public func decodedField(_ name: String) -> String {
        field(name).map(MIMEHeaders.decodeEncodedWords) ?? ""
    }

    /// Every address in every field of that name.
    public func addresses(_ name: String) -> [MIMEAddress] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }
            .flatMap { MIMEHeaders.addresses($0.value) }
    }

    private mutating func walk(
        fields: [MIMEHeaderField], body: ArraySlice<UInt8>, path: [Int], depth: Int, inRelated: Bool,
        limits: MIMELimits
    ) {
        let header = { (name: String) in
            fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        let (type, parameters) = MIMEHeaders.parameterized(header("Content-Type") ?? "text/plain")
        if type.hasPrefix("multipart/"), let boundary = parameters["boundary"], !boundary.isEmpty {
            guard depth < limits.maxDepth else {
                truncated = true
                return
            }
            for (number, part) in MIMEMessage.parts(of: body, boundary: boundary).enumerated() {
                guard partsRead < limits.maxParts else {
                    truncated = true
                    return
                }
                partsRead += 1
                let (partFields, partBody) = MIMEHeaders.split(part)
                walk(
                    fields: partFields, body: partBody, path: path + [number + 1], depth: depth + 1,
                    inRelated: type == "multipart/related", limits: limits)
            }
            return
        }
        let (disposition, dispositionParameters) = MIMEHeaders.parameterized(header("Content-Disposition") ?? "")
        let fileName = MIMEHeaders.decodeEncodedWords(dispositionParameters["filename"] ?? parameters["name"] ?? "")
        let content = MIMEMessage.decodeTransfer(
            Array(body), encoding: (header("Content-Transfer-Encoding") ?? "").trimmingCharacters(in: .whitespaces))
        let isBody = disposition != "attachment" && fileName.isEmpty
        if isBody, type == "text/plain" || type.isEmpty, text.isEmpty {
            text = MIMEHeaders.decode(content, charset: parameters["charset"] ?? "") ?? MIMEHeaders.text(content)
            return
        }
        if isBody, type == "text/html", html.isEmpty {
            html = MIMEHeaders.decode(content, charset: parameters["charset"] ?? "") ?? MIMEHeaders.text(content)
            return
        }
        var contentID = header("Content-ID") ?? ""
        if contentID.hasPrefix("<"), contentID.hasSuffix(">") { contentID = String(contentID.dropFirst().dropLast()) }
        let attachment = MIMEAttachment(
            partID: path.isEmpty ? "1" : path.map(String.init).joined(separator: "."), fileName: fileName,
            contentType: type, contentID: contentID, content: content)
        // An image an HTML body shows by its Content-ID is inline; a file to save is an attachment.
        if disposition == "inline" || (disposition.isEmpty && inRelated && !contentID.isEmpty) {
            inline.append(attachment)
        } else {
            attachments.append(attachment)
        }
    }

    static func decodeTransfer(_ bytes: [UInt8], encoding: String) -> [UInt8] {
        switch encoding.lowercased() {
        case "base64": MIMEHeaders.base64(bytes) ?? bytes
        case "quoted-printable": MIMEHeaders.quotedPrintable(bytes)
        default: bytes
        }
    }

    /// The body parts between `--boundary` lines (RFC 2046 §5.1.1): the line break before a delimiter belongs to
    /// it; the preamble and the epilogue are not parts. A body that never closes ends its last part at the end.
    static func parts(of body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            let lineFeed = body[lineStart...].firstIndex(of: 0x0A)
            let next = lineFeed.map { $0 + 1 } ?? body.endIndex
            if body[lineStart...].starts(with: delimiter) {
                let after = body[(lineStart + delimiter.count)..<(lineFeed ?? body.endIndex)]
                let closes = after.starts(with: [0x2D, 0x2D])
                let rest = closes ? after.dropFirst(2) : after
                if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    if let start = partStart {
                        var end = lineStart
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        parts.append(body[start..<max(start, end)])
                    }
                    if closes { return parts }
                    partStart = next
                }
            }
            lineStart = next
        }
        if let start = partStart { parts.append(body[start...]) }
        return parts
    }
}
