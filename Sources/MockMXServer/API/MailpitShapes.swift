import CLibEvent
import Foundation
import MailMIME

/// The JSON shapes of Mailpit's API (its `storage.MessageSummary`, `storage.Message`, `MessagesSummary`,
/// `AppInformation`), field for field as Mailpit's Go structs encode them.
enum MailpitShapes {
    struct Address: Encodable, Equatable {
        var Name: String
        var Address: String

        init(_ address: MIMEAddress) {
            Name = address.name
            self.Address = address.address
        }
    }

    struct Summary: Encodable {
        var ID: String
        var MessageID: String
        var Read: Bool
        var From: Address?
        var To: [Address]
        var Cc: [Address]
        var Bcc: [Address]
        var ReplyTo: [Address]
        var Subject: String
        var Created: String
        var Username: String
        var Tags: [String]
        var Size: Int
        var Attachments: Int
        var Snippet: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(ID, forKey: .ID)
            try container.encode(MessageID, forKey: .MessageID)
            try container.encode(Read, forKey: .Read)
            // Go writes a nil *mail.Address as null; the key is always there.
            try container.encode(From, forKey: .From)
            try container.encode(To, forKey: .To)
            try container.encode(Cc, forKey: .Cc)
            try container.encode(Bcc, forKey: .Bcc)
            try container.encode(ReplyTo, forKey: .ReplyTo)
            try container.encode(Subject, forKey: .Subject)
            try container.encode(Created, forKey: .Created)
            try container.encode(Username, forKey: .Username)
            try container.encode(Tags, forKey: .Tags)
            try container.encode(Size, forKey: .Size)
            try container.encode(Attachments, forKey: .Attachments)
            try container.encode(Snippet, forKey: .Snippet)
        }

        private enum Keys: String, CodingKey {
            case ID, MessageID, Read, From, To, Cc, Bcc, ReplyTo, Subject, Created, Username, Tags, Size
            case Attachments, Snippet
        }
    }

    struct List: Encodable {
        var total: Int
        var unread: Int
        var count: Int
        var messages_count: Int
        var messages_unread: Int
        var start: Int
        var tags: [String]
        var messages: [Summary]
    }

    struct Attachment: Encodable {
        var PartID: String
        var FileName: String
        var ContentType: String
        var ContentID: String
        var Size: Int
        var Checksums: Checksums

        init(_ part: MIMEAttachment) {
            PartID = part.partID
            FileName = part.fileName
            ContentType = part.contentType
            ContentID = part.contentID
            Size = part.size
            Checksums = MailpitShapes.Checksums(part.content)
        }
    }

    /// The decoded content's digests in lower-case hex, as Mailpit lists them to compare files by.
    struct Checksums: Encodable {
        var MD5: String
        var SHA1: String
        var SHA256: String

        init(_ content: [UInt8]) {
            MD5 = Checksums.hex(content, EVP_md5())
            SHA1 = Checksums.hex(content, EVP_sha1())
            SHA256 = Checksums.hex(content, EVP_sha256())
        }

        private static func hex(_ content: [UInt8], _ digest: OpaquePointer?) -> String {
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            _ = content.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &output, &length, digest, nil) }
            return output.prefix(Int(length)).map { String($0 >> 4, radix: 16) + String($0 & 0x0F, radix: 16) }
                .joined()
        }
    }

    struct ListUnsubscribe: Encodable {
        var Header: String
        var Links: [String]
        var Errors: String
        var HeaderPost: String
    }

    struct Message: Encodable {
        var ID: String
        var MessageID: String
        /// Always true: opening a message marks it read. Mailpit's current `Message` left the field out;
        /// older versions wrote it, and clients built then (mailpit-api-client 1.0) require it.
        var Read = true
        var From: Address?
        var To: [Address]
        var Cc: [Address]
        var Bcc: [Address]
        var ReplyTo: [Address]
        var ReturnPath: String
        var Subject: String
        var ListUnsubscribe: ListUnsubscribe
        var Date: String
        var Tags: [String]
        var Username: String
        var Text: String
        var HTML: String
        var Size: Int
        var Inline: [Attachment]
        var Attachments: [Attachment]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(ID, forKey: .ID)
            try container.encode(MessageID, forKey: .MessageID)
            try container.encode(Read, forKey: .Read)
            try container.encode(From, forKey: .From)
            try container.encode(To, forKey: .To)
            try container.encode(Cc, forKey: .Cc)
            try container.encode(Bcc, forKey: .Bcc)
            try container.encode(ReplyTo, forKey: .ReplyTo)
            try container.encode(ReturnPath, forKey: .ReturnPath)
            try container.encode(Subject, forKey: .Subject)
            try container.encode(ListUnsubscribe, forKey: .ListUnsubscribe)
            try container.encode(Date, forKey: .Date)
            try container.encode(Tags, forKey: .Tags)
            try container.encode(Username, forKey: .Username)
            try container.encode(Text, forKey: .Text)
            try container.encode(HTML, forKey: .HTML)
            try container.encode(Size, forKey: .Size)
            try container.encode(Inline, forKey: .Inline)
            try container.encode(Attachments, forKey: .Attachments)
        }

        private enum Keys: String, CodingKey {
            case ID, MessageID, Read, From, To, Cc, Bcc, ReplyTo, ReturnPath, Subject, ListUnsubscribe, Date, Tags
            case Username, Text, HTML, Size, Inline, Attachments
        }
    }

    struct RuntimeStats: Encodable {
        var Uptime: Int
        var Memory: Int
        var MessagesDeleted: Int
        var SMTPAccepted: Int
        var SMTPAcceptedSize: Int
        var SMTPRejected: Int
        var SMTPIgnored: Int
    }

    struct Info: Encodable {
        var Version: String
        var LatestVersion: String
        var Database: String
        var DatabaseSize: Int
        var Messages: Int
        var Unread: Int
        var Tags: [String: Int]
        var RuntimeStats: RuntimeStats
    }
}

/// A stored message as Mailpit's API describes it, read once per request with the MIME reader.
struct MailpitView {
    let stored: StoredMessage
    let mime: MIMEMessage

    init(_ stored: StoredMessage) {
        self.stored = stored
        mime = MIMEMessage(parsing: stored.content)
    }

    var from: MailpitShapes.Address? { mime.addresses("From").first.map(MailpitShapes.Address.init) }
    var to: [MailpitShapes.Address] { mime.addresses("To").map(MailpitShapes.Address.init) }
    var cc: [MailpitShapes.Address] { mime.addresses("Cc").map(MailpitShapes.Address.init) }
    var replyTo: [MailpitShapes.Address] { mime.addresses("Reply-To").map(MailpitShapes.Address.init) }

    /// Envelope recipients no header names, as Mailpit lists them: they were blind copies.
    var bcc: [MailpitShapes.Address] {
        let named = Set((mime.addresses("To") + mime.addresses("Cc")).map { $0.address.lowercased() })
        return (mime.addresses("Bcc").map { $0.address }
            + stored.recipients.filter { !named.contains($0.lowercased()) })
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            .map { MailpitShapes.Address(MIMEAddress(name: "", address: $0)) }
    }

    var messageID: String {
        var value = mime.field("Message-ID") ?? ""
        if value.hasPrefix("<"), value.hasSuffix(">") { value = String(value.dropFirst().dropLast()) }
        return value
    }

    var subject: String { mime.decodedField("Subject") }

    /// Up to 200 characters of the HTML body's text, else of the text body, whitespace collapsed.
    var snippet: String {
        let source = mime.html.isEmpty ? mime.text : MailpitView.strippingTags(mime.html)
        let collapsed = source.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return collapsed.count <= 200 ? collapsed : String(collapsed.prefix(200)) + "..."
    }

    static func strippingTags(_ html: String) -> String {
        var output = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
                output.append(" ")
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                output.append(character)
            }
        }
        return output
    }

    func summary(read: Bool) -> MailpitShapes.Summary {
        MailpitShapes.Summary(
            ID: stored.id, MessageID: messageID, Read: read, From: from, To: to, Cc: cc, Bcc: bcc, ReplyTo: replyTo,
            Subject: subject, Created: MailpitView.timestamp(stored.receivedAt),
            Username: stored.authenticatedUser ?? "", Tags: [], Size: stored.size,
            Attachments: mime.attachments.count, Snippet: snippet)
    }

    var message: MailpitShapes.Message {
        let unsubscribe = mime.field("List-Unsubscribe") ?? ""
        return MailpitShapes.Message(
            ID: stored.id, MessageID: messageID, From: from, To: to, Cc: cc, Bcc: bcc, ReplyTo: replyTo,
            ReturnPath: stored.mailFrom, Subject: subject,
            ListUnsubscribe: MailpitShapes.ListUnsubscribe(
                Header: unsubscribe,
                Links: unsubscribe.split(separator: ",").map {
                    $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>\t"))
                }.filter { !$0.isEmpty },
                Errors: "", HeaderPost: mime.field("List-Unsubscribe-Post") ?? ""),
            Date: headerDate ?? MailpitView.timestamp(stored.receivedAt), Tags: [],
            Username: stored.authenticatedUser ?? "", Text: mime.text, HTML: mime.html, Size: stored.size,
            Inline: mime.inline.map(MailpitShapes.Attachment.init),
            Attachments: mime.attachments.map(MailpitShapes.Attachment.init))
    }

    /// The `Date:` header (RFC 5322 §3.3), with or without the day name, in RFC 3339 with the header's own
    /// offset as Go writes it; nil when absent or unreadable.
    var headerDate: String? {
        guard var text = mime.field("Date") else { return nil }
        if let comment = text.firstIndex(of: "(") { text = String(text[..<comment]) }
        if let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
        text = text.trimmingCharacters(in: .whitespaces)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm Z", "d MMM yyyy HH:mm:ss zzz"] {
            formatter.dateFormat = format
            guard let date = formatter.date(from: text) else { continue }
            // `+0100` keeps its offset; a zone name (`GMT`, `EST`) or `-0000` (RFC 5322: no information) is UTC.
            let offset = text.split(separator: " ").last.flatMap { zone -> Int? in
                guard zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
                    let hours = Int(zone.dropFirst().prefix(2)), let minutes = Int(zone.suffix(2))
                else { return nil }
                return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
            } ?? 0
            return MailpitView.timestamp(date, zone: TimeZone(secondsFromGMT: offset) ?? .gmt)
        }
        return nil
    }

    /// RFC 3339 with milliseconds, as Go writes a `time.Time`: `Z` in UTC, else the offset.
    static func timestamp(_ date: Date, zone: TimeZone = .gmt) -> String {
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true).timeZoneSeparator(.colon)
        style.timeZone = zone
        return date.formatted(style)
    }

    /// Header fields by Go's canonical name (`message-id` → `Message-Id`), values in order, as Mailpit's
    /// `/headers` answers with Go's `mail.Header`.
    var headers: [String: [String]] {
        var headers: [String: [String]] = [:]
        for field in mime.fields {
            let canonical = field.name.lowercased().split(separator: "-", omittingEmptySubsequences: false)
                .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
            headers[canonical, default: []].append(field.value)
        }
        return headers
    }
}
