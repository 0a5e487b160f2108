import Foundation
import MockMXVerdicts
import SMTPProtocol

/// A message the host acknowledged, with where and how it arrived.
public struct StoredMessage: Sendable, Equatable {
    public var id: String
    public var sessionID: String
    /// The listener's name: `HOST:PORT` as bound.
    public var listener: String
    public var clientAddress: String
    public var heloName: String?
    public var mailFrom: String
    public var mailParameters: [SMTPParameter]
    public var recipients: [String]
    /// Each recipient's RCPT parameters (DSN `NOTIFY`, `ORCPT`), in the order of `recipients`.
    public var recipientParameters: [[SMTPParameter]]
    /// Who authenticated with AUTH before sending, if anyone.
    public var authenticatedUser: String?
    /// Whether the message came over TLS.
    public var receivedOverTLS: Bool
    public var receivedAt: Date
    /// The content exactly as received after dot-unstuffing; empty when ``spooled`` says it lives on disk only.
    public var content: [UInt8]
    /// The XEXCH50 blob; its bytes are empty when ``spooled`` says they live on disk only.
    public var xexch50: XEXCH50Blob?
    /// Set for a message larger than the whole memory budget for content, which a host with a spool keeps on
    /// disk only: its files and sizes.
    public var spooled: SpooledContent? = nil
    /// LMTP: which recipients the end of data delivered to and which it refused; nil for SMTP.
    public var lmtp: MessageEnvelope.RecipientOutcomes? = nil

    /// The content's size in bytes, wherever it is kept.
    public var size: Int { spooled?.size ?? content.count }

    /// The bytes of content and blob as received.
    var receivedBytes: Int { content.count + (xexch50?.bytes.count ?? 0) }

    /// The bytes this message's content and blob take in memory, which the content budget counts: their
    /// buffers' capacity, which grew by doubling while the content arrived.
    var retainedBytes: Int { content.capacity + (xexch50?.bytes.capacity ?? 0) }

    /// The envelope as the spool and the HTTP API write it.
    public var envelope: MessageEnvelope {
        MessageEnvelope(
            id: id, session: sessionID, listener: listener, client: clientAddress, helo: heloName, mailFrom: mailFrom,
            mailParameters: mailParameters.map { MessageEnvelope.Parameter($0) }, recipients: recipients,
            recipientParameters: recipientParameters.map { $0.map { MessageEnvelope.Parameter($0) } },
            authenticatedUser: authenticatedUser, tls: receivedOverTLS, size: size,
            receivedAt: ISO8601.string(receivedAt),
            xexch50: xexch50.map {
                MessageEnvelope.XEXCH50Summary(
                    size: spooled?.xexch50Size ?? $0.bytes.count, recipientArgument: $0.recipientArgument)
            }, lmtp: lmtp)
    }
}

extension StoredMessage {
    /// Content and blob in buffers of exactly their size.
    mutating func compact() {
        content = StoredMessage.exactCopy(content)
        if let bytes = xexch50?.bytes { xexch50?.bytes = StoredMessage.exactCopy(bytes) }
    }

    private static func exactCopy(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
    }
}

/// Where a message kept on disk only has its content: the spool's `<id>.eml` (and `<id>.xexch50`).
public struct SpooledContent: Sendable, Equatable {
    public var file: URL
    public var size: Int
    public var xexch50File: URL?
    public var xexch50Size: Int
}

extension StoredMessage {
    init(_ message: ReceivedMessage, sessionID: String, listener: String, clientAddress: String) {
        self.init(
            id: message.id, sessionID: sessionID, listener: listener, clientAddress: clientAddress,
            heloName: message.heloName, mailFrom: message.mailFrom, mailParameters: message.mailParameters,
            recipients: message.recipients, recipientParameters: message.recipientParameters,
            authenticatedUser: message.authenticatedUser, receivedOverTLS: message.receivedOverTLS,
            receivedAt: Date(), content: message.content, xexch50: message.xexch50)
    }
}

extension MessageEnvelope.Parameter {
    init(_ parameter: SMTPParameter) {
        self.init(key: parameter.key, value: parameter.value)
    }
}

enum ISO8601 {
    /// `2026-12-02T01:30:49.123Z`. Not Foundation's ISO 8601 style, which gave the same text at several times the
    /// cost, paid for every message a list or an envelope file shows.
    static func string(_ date: Date) -> String {
        SessionTime.format(secondsSinceReferenceDate: date.timeIntervalSinceReferenceDate)
    }
}
