/// A session as data: the one JSON shape `GET /api/v1/sessions/{id}` serves, the spool's session files hold
/// and `mockmx verdicts DIR` reads (`"format": 1`). The verdict engine judges these values and nothing else.
public struct RecordedSession: Codable, Sendable, Equatable {
    /// One transcript line. `time` is ISO 8601 (microseconds); a client line's time is when its bytes arrived.
    public struct Entry: Codable, Sendable, Equatable {
        public var time: String
        /// `client`, `host-received`, `server` or `note`.
        public var direction: String
        public var text: String
        /// The rule that shaped this line, as its label gives it; nil when none did.
        public var rule: String?

        public init(time: String, direction: String, text: String, rule: String? = nil) {
            self.time = time
            self.direction = direction
            self.text = text
            self.rule = rule
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            try container.encode(direction, forKey: .direction)
            try container.encode(text, forKey: .text)
            try container.encode(rule, forKey: .rule)
        }

        private enum CodingKeys: String, CodingKey {
            case time, direction, text, rule
        }
    }

    /// The version of this shape; readers refuse a format they do not know.
    public static let currentFormat = 1

    public var format: Int
    public var id: String
    public var listener: String
    public var scenario: String
    /// The client's address, without its port.
    public var client: String
    public var startedAt: String
    /// nil while the session is open.
    public var endedAt: String?
    /// `client-quit`, `client-vanished`, `timeout`, … (nil while open).
    public var endReason: String?
    /// Ids of the messages the session delivered that are still retained.
    public var messages: [String]
    public var transcriptEntries: Int
    /// Entries the transcript's bound left out (the verdicts of such a session may miss evidence).
    public var omittedTranscriptEntries: Int
    /// The labels of the rules that fired in the session, in the order they first fired.
    public var rulesFired: [String]
    public var transcript: [Entry]

    public init(
        id: String, listener: String, scenario: String, client: String, startedAt: String, endedAt: String?,
        endReason: String?, messages: [String] = [], omittedTranscriptEntries: Int = 0, rulesFired: [String] = [],
        transcript: [Entry]
    ) {
        self.format = RecordedSession.currentFormat
        self.id = id
        self.listener = listener
        self.scenario = scenario
        self.client = client
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.messages = messages
        self.transcriptEntries = transcript.count
        self.omittedTranscriptEntries = omittedTranscriptEntries
        self.rulesFired = rulesFired
        self.transcript = transcript
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decodeIfPresent(Int.self, forKey: .format) ?? RecordedSession.currentFormat
        guard format == RecordedSession.currentFormat else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription: "session format \(format) is not known; this mockmx reads format 1")
        }
        id = try container.decode(String.self, forKey: .id)
        listener = try container.decode(String.self, forKey: .listener)
        scenario = try container.decode(String.self, forKey: .scenario)
        client = try container.decode(String.self, forKey: .client)
        startedAt = try container.decode(String.self, forKey: .startedAt)
        endedAt = try container.decodeIfPresent(String.self, forKey: .endedAt)
        endReason = try container.decodeIfPresent(String.self, forKey: .endReason)
        messages = try container.decodeIfPresent([String].self, forKey: .messages) ?? []
        transcript = try container.decode([Entry].self, forKey: .transcript)
        transcriptEntries = try container.decodeIfPresent(Int.self, forKey: .transcriptEntries) ?? transcript.count
        omittedTranscriptEntries = try container.decodeIfPresent(Int.self, forKey: .omittedTranscriptEntries) ?? 0
        rulesFired = try container.decodeIfPresent([String].self, forKey: .rulesFired) ?? []
    }

    /// Every key, `null` ones included, so readers see one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(id, forKey: .id)
        try container.encode(listener, forKey: .listener)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(client, forKey: .client)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(endReason, forKey: .endReason)
        try container.encode(messages, forKey: .messages)
        try container.encode(transcriptEntries, forKey: .transcriptEntries)
        try container.encode(omittedTranscriptEntries, forKey: .omittedTranscriptEntries)
        try container.encode(rulesFired, forKey: .rulesFired)
        try container.encode(transcript, forKey: .transcript)
    }

    private enum CodingKeys: String, CodingKey {
        case format, id, listener, scenario, client, startedAt, endedAt, endReason, messages, transcriptEntries
        case omittedTranscriptEntries, rulesFired, transcript
    }
}
