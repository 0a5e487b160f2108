/// A message's envelope as JSON: the spool's `<id>.json` and each message in the control API. One type for
/// whoever writes it and whoever reads it back; its keys are what README.md and the API's users rely on.
/// Absent values are written as `null`, never left out, so every envelope has the same keys.
public struct MessageEnvelope: Codable, Sendable, Equatable {
    /// An ESMTP parameter of MAIL or RCPT: `BODY=8BITMIME` is `{"key": "BODY", "value": "8BITMIME"}`,
    /// a bare keyword has a `null` value.
    public struct Parameter: Codable, Sendable, Equatable {
        public var key: String
        public var value: String?

        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(key, forKey: .key)
            try container.encode(value, forKey: .value)
        }
    }

    /// What came with XEXCH50; the blob itself is in `<id>.xexch50` and at `/api/v1/messages/{id}/xexch50`.
    public struct XEXCH50Summary: Codable, Sendable, Equatable {
        public var size: Int
        /// The verb's second argument (accepted recipients + 1 from a well-behaved Exchange).
        public var recipientArgument: Int

        public init(size: Int, recipientArgument: Int) {
            self.size = size
            self.recipientArgument = recipientArgument
        }
    }

    /// LMTP: the recipients the end of data delivered to (a `2xx` reply) and those it refused, with the code
    /// sent (`null`: none, as after a rule closed the session). Every envelope of an LMTP message has them;
    /// `recipients` stays the list accepted at RCPT.
    public struct RecipientOutcomes: Codable, Sendable, Equatable {
        public struct Refusal: Codable, Sendable, Equatable {
            public var recipient: String
            public var code: Int?

            public init(recipient: String, code: Int?) {
                self.recipient = recipient
                self.code = code
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(recipient, forKey: .recipient)
                try container.encode(code, forKey: .code)
            }
        }

        public var delivered: [String]
        public var refused: [Refusal]

        /// `codes` in the order of `recipients`.
        public init(recipients: [String], codes: [Int?]) {
            delivered = []
            refused = []
            for (recipient, code) in zip(recipients, codes) {
                if let code, (200...299).contains(code) {
                    delivered.append(recipient)
                } else {
                    refused.append(Refusal(recipient: recipient, code: code))
                }
            }
        }
    }

    public var id: String
    public var session: String
    public var listener: String
    public var client: String
    public var helo: String?
    public var mailFrom: String
    public var mailParameters: [Parameter]
    public var recipients: [String]
    public var recipientParameters: [[Parameter]]
    public var authenticatedUser: String?
    public var tls: Bool
    public var size: Int
    /// ISO 8601 with fractional seconds, as every time the API reports.
    public var receivedAt: String
    public var xexch50: XEXCH50Summary?
    /// LMTP's per-recipient outcome; `null` for a message received over SMTP.
    public var lmtp: RecipientOutcomes? = nil

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(session, forKey: .session)
        try container.encode(listener, forKey: .listener)
        try container.encode(client, forKey: .client)
        try container.encode(helo, forKey: .helo)
        try container.encode(mailFrom, forKey: .mailFrom)
        try container.encode(mailParameters, forKey: .mailParameters)
        try container.encode(recipients, forKey: .recipients)
        try container.encode(recipientParameters, forKey: .recipientParameters)
        try container.encode(authenticatedUser, forKey: .authenticatedUser)
        try container.encode(tls, forKey: .tls)
        try container.encode(size, forKey: .size)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encode(xexch50, forKey: .xexch50)
        try container.encode(lmtp, forKey: .lmtp)
    }
}
