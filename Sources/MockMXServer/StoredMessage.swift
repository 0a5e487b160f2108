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

    /// The envelope as JSON-ready values (spool files, the HTTP API).
    public var envelope: [String: Any] {
        var envelope: [String: Any] = [
            "id": id,
            "session": sessionID,
            "listener": listener,
            "client": clientAddress,
            "helo": heloName as Any? ?? NSNull(),
            "mailFrom": mailFrom,
            "mailParameters": mailParameters.map(\.json),
            "recipients": recipients,
            "recipientParameters": recipientParameters.map { $0.map(\.json) },
            "authenticatedUser": authenticatedUser as Any? ?? NSNull(),
            "tls": receivedOverTLS,
            "size": size,
            "receivedAt": ISO8601.string(receivedAt),
        ]
        if let xexch50 {
            envelope["xexch50"] = ["size": xexch50.bytes.count, "recipientArgument": xexch50.recipientArgument]
        } else {
            envelope["xexch50"] = NSNull()
        }
        return envelope
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

extension SMTPParameter {
    fileprivate var json: [String: Any] { ["key": key, "value": value as Any? ?? NSNull()] }
}

enum ISO8601 {
    static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
