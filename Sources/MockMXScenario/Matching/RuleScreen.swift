/// The numbers of an event the engine's screens compare: plain integers, cheap to make and pass, unlike a
/// ``RuleEventContext``, which the engine asks for only when a rule gets past its screen.
public struct EventNumbers: Sendable {
    public var sessionNumber: Int
    public var occurrence: Int
    public var messageNumber: Int
    public var messageOccurrence: Int
    public var bytes: Int?

    public init(sessionNumber: Int, occurrence: Int, messageNumber: Int, messageOccurrence: Int, bytes: Int?) {
        self.sessionNumber = sessionNumber
        self.occurrence = occurrence
        self.messageNumber = messageNumber
        self.messageOccurrence = messageOccurrence
        self.bytes = bytes
    }
}

extension RuleEventContext {
    var numbers: EventNumbers {
        EventNumbers(
            sessionNumber: sessionNumber, occurrence: occurrence, messageNumber: messageNumber,
            messageOccurrence: messageOccurrence, bytes: bytes)
    }
}

/// The part of a rule's conditions that integers and byte sets decide, compiled when the engine is made and
/// kept in a plain array per event: every rule on an event is screened, and only a rule that passes is looked
/// at whole (its patterns run, its counters and keyed state consulted). Never refuses what the rule would
/// accept: each field is a condition the whole check also makes, or a byte every match must contain.
struct RuleScreen {
    /// `session:` as a single number or a `"N+"`; 0 when absent or a list (left to the whole check).
    private var session = 0
    private var sessionFrom = 0
    /// `nth:`, `nth-in-message:`, `message:`; 0 when absent.
    private var nth = 0
    private var nthInMessage = 0
    private var message = 0
    /// `bytes:`; nil when absent.
    private var bytes: Int?
    /// The bytes every match of `args:` (or `helo:`) contains; nil without the condition.
    private var argumentBytes: ByteSet?
    private var heloBytes: ByteSet?

    init(_ conditions: RuleConditions) {
        if let selector = conditions.session {
            if selector.from == nil, selector.numbers.count == 1 { session = selector.numbers[0] }
            if selector.numbers.isEmpty, let from = selector.from { sessionFrom = from }
        }
        nth = conditions.nth ?? 0
        nthInMessage = conditions.nthInMessage ?? 0
        message = conditions.message ?? 0
        bytes = conditions.bytes
        argumentBytes = conditions.arguments?.requiredBytes
        heloBytes = conditions.helo?.requiredBytes
    }

    /// Whether the rule may hold for the event. The byte sets of the arguments and the HELO name are made
    /// when a screen first needs them and kept for the event's other rules.
    func admits(
        _ event: EventNumbers, _ arguments: [UInt8], _ helo: [UInt8]?, _ found: inout ScreenedBytes
    ) -> Bool {
        if session != 0, event.sessionNumber != session { return false }
        if sessionFrom != 0, event.sessionNumber < sessionFrom { return false }
        if nth != 0, event.occurrence != nth { return false }
        if nthInMessage != 0, event.messageOccurrence != nthInMessage { return false }
        if message != 0, event.messageNumber != message { return false }
        if let bytes {
            guard let received = event.bytes, received >= bytes else { return false }
        }
        if let heloBytes {
            guard let present = found.heloBytes(helo), heloBytes.isSubset(of: present) else { return false }
        }
        if let argumentBytes, !argumentBytes.isSubset(of: found.argumentBytes(arguments)) { return false }
        return true
    }
}

/// The bytes present in an event's arguments and HELO name (ASCII letters lower-cased), each found once,
/// when a rule first needs them.
struct ScreenedBytes {
    private var argumentsPresent: ByteSet?
    private var heloPresent: ByteSet??

    mutating func argumentBytes(_ arguments: [UInt8]) -> ByteSet {
        if let argumentsPresent { return argumentsPresent }
        let present = PatternSubject.bytesPresent(in: arguments)
        argumentsPresent = present
        return present
    }

    /// nil before a HELO name was given.
    mutating func heloBytes(_ helo: [UInt8]?) -> ByteSet? {
        if let heloPresent { return heloPresent }
        let present = helo.map { PatternSubject.bytesPresent(in: $0) }
        heloPresent = .some(present)
        return present
    }
}
