/// A message the host accepted, as the state machine hands it over before the `250` goes out.
public struct ReceivedMessage: Sendable, Equatable {
    /// `<session id>.<n>`: unique per host process, also in the `queued as` reply.
    public var id: String
    public var heloName: String?
    /// The reverse-path without angle brackets; empty for the null sender `<>`.
    public var mailFrom: String
    /// MAIL parameters in the order sent, keys upper-cased (`SIZE`, `BODY`, …); value nil for a bare keyword.
    public var mailParameters: [SMTPParameter]
    /// Accepted recipients in order, without angle brackets.
    public var recipients: [String]
    /// Each accepted recipient's RCPT parameters (`NOTIFY`, `ORCPT`), in the order of `recipients`.
    public var recipientParameters: [[SMTPParameter]]
    /// The identity a successful AUTH established, if any.
    public var authenticatedUser: String?
    /// Whether the message arrived over TLS (STARTTLS or an implicit-TLS listener).
    public var receivedOverTLS: Bool
    /// The content exactly as received after dot-unstuffing, without the terminating `.` line.
    public var content: [UInt8]
    /// The XEXCH50 blob, if one was sent and acknowledged in this transaction.
    public var xexch50: XEXCH50Blob?

    public init(
        id: String, heloName: String?, mailFrom: String, mailParameters: [SMTPParameter],
        recipients: [String], recipientParameters: [[SMTPParameter]] = [], authenticatedUser: String? = nil,
        receivedOverTLS: Bool = false, content: [UInt8], xexch50: XEXCH50Blob?
    ) {
        self.id = id
        self.heloName = heloName
        self.mailFrom = mailFrom
        self.mailParameters = mailParameters
        self.recipients = recipients
        self.recipientParameters = recipientParameters
        self.authenticatedUser = authenticatedUser
        self.receivedOverTLS = receivedOverTLS
        self.content = content
        self.xexch50 = xexch50
    }
}

/// `KEY[=VALUE]` from a MAIL or RCPT command.
public struct SMTPParameter: Sendable, Equatable {
    public var key: String
    public var value: String?

    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

/// The binary blob of `XEXCH50 <size> <n>`, byte for byte.
public struct XEXCH50Blob: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The second argument as sent (Exchange sends accepted recipients + 1).
    public var recipientArgument: Int

    public init(bytes: [UInt8], recipientArgument: Int) {
        self.bytes = bytes
        self.recipientArgument = recipientArgument
    }
}
