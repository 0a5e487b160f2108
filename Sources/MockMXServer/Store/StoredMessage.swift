import Foundation
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
    /// The content exactly as received after dot-unstuffing.
    public var content: [UInt8]
    public var xexch50: XEXCH50Blob?

    public var size: Int { content.count }

    /// The envelope as the spool and the HTTP API write it.
    public var envelope: MessageEnvelope {
        MessageEnvelope(
            id: id, session: sessionID, listener: listener, client: clientAddress, helo: heloName, mailFrom: mailFrom,
            mailParameters: mailParameters.map { MessageEnvelope.Parameter($0) }, recipients: recipients,
            recipientParameters: recipientParameters.map { $0.map { MessageEnvelope.Parameter($0) } },
            authenticatedUser: authenticatedUser, tls: receivedOverTLS, size: size,
            receivedAt: ISO8601.string(receivedAt),
            xexch50: xexch50.map {
                MessageEnvelope.XEXCH50Summary(size: $0.bytes.count, recipientArgument: $0.recipientArgument)
            })
    }
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
    static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
