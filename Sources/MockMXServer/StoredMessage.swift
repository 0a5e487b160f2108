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
            "mailParameters": mailParameters.map { ["key": $0.key, "value": $0.value as Any? ?? NSNull()] },
            "recipients": recipients,
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

enum ISO8601 {
    static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
