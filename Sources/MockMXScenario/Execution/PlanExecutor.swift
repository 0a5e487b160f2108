import SMTPProtocol

/// Turns one step's plan — the proposal and the matched rule's actions — into transport actions, one at a
/// time, with no I/O: the connection performs each ``TransportAction`` and asks for the next. The same
/// executor runs every event, `tls` included, so an action means the same thing wherever a rule puts it.
///
/// Shaped like postgres-nio's connection state machine: a plain value the I/O object drives, tested by
/// feeding completions and asserting actions.
public struct PlanExecutor: Sendable {
    /// How the connection ends.
    public enum CloseMode: Sendable, Equatable {
        /// FIN after what was sent.
        case fin
        /// TCP RST.
        case reset
    }

    /// What the connection does next.
    public enum TransportAction: Sendable, Equatable {
        /// Send these bytes; `code` is the reply code they carry (nil for bytes that are not a reply).
        /// With `trickleMilliseconds` one byte leaves per interval, and ``next()`` is asked once the last one
        /// is out.
        case send([UInt8], code: Int?, trickleMilliseconds: Int?)
        /// Store the accepted message (the step's ``SMTPStep/message``, kept by the connection), then report
        /// with ``stored(refusal:)``: its `2xx` may only leave afterwards. (No payload: actions stay small, and
        /// are returned often.)
        case store
        /// Wait, then ask ``next()``.
        case wait(milliseconds: Int)
        /// Never answer again: keep reading and recording the client's input until the hold limit.
        case withhold
        /// Stop reading, so the client's TCP window fills, until the hold limit.
        case stall
        /// End the connection once what was sent is on the wire.
        case close(CloseMode)
        /// The plan is done: tell the state machine which reply code really went out (nil: none).
        case commit(sentCode: Int?)
        /// The `tls` plan is done: run the TLS handshake.
        case startHandshake
        /// LMTP: the plan of the recipient at `index` (0-based, RCPT order) starts; ask ``next()`` at once.
        case nextRecipient(index: Int)
    }

    /// The reply proposed for the step — by the state machine, or (in proxy mode) the reply another host
    /// gave; nil for `tls`, an idle executor, and events that need no reply.
    private let proposal: SMTPReply?
    /// The step accepts a message: it is stored before the first `2xx` leaves.
    private let carriesMessage: Bool
    private let enhancedStatusCodes: Bool
    private let actions: [RuleAction]
    private let isTLSPlan: Bool
    private var nextIndex = 0
    private var trickleMilliseconds: Int?
    private var truncateBytes: Int?
    private let dropsMessage: Bool
    private var messageStored = false
    /// A `2xx` that waits for its message to be stored.
    private var heldReply: (bytes: [UInt8], code: Int)?
    /// The first reply code sent in this step: the one the state machine commits.
    public private(set) var sentCode: Int?
    /// Whether the plan has finished (committed, handed over to TLS, or ended the session).
    public private(set) var isFinished: Bool
    /// LMTP's end of a message: this is one recipient's plan of several, run one after another.
    private var answersRecipients = false
    /// The plans of the recipients after this one.
    private var laterRecipients: [PlanExecutor] = []
    /// The first code sent to each recipient before this one (nil: none).
    private var recipientCodes: [Int?] = []

    /// No plan: what a connection holds between steps.
    public init() {
        self.proposal = nil
        self.carriesMessage = false
        self.enhancedStatusCodes = false
        self.actions = []
        self.isTLSPlan = false
        self.dropsMessage = false
        self.isFinished = true
    }

    /// The plan for a protocol event: `actions` from the matched rule, or `[.useDefault]` when none matched.
    /// `carriesMessage`: an accepted end of data, whose message the connection keeps and stores on `.store`.
    public init(proposal: SMTPReply?, carriesMessage: Bool, actions: [RuleAction], enhancedStatusCodes: Bool) {
        self.proposal = proposal
        self.carriesMessage = carriesMessage
        self.enhancedStatusCodes = enhancedStatusCodes
        self.actions = actions
        self.isTLSPlan = false
        self.dropsMessage = actions.contains(.dropMessage)
        self.isFinished = false
    }

    /// The plan for a step the state machine proposed.
    public init(step: SMTPStep, actions: [RuleAction], enhancedStatusCodes: Bool) {
        self.init(
            proposal: step.reply, carriesMessage: step.message != nil, actions: actions,
            enhancedStatusCodes: enhancedStatusCodes)
    }

    /// The plan for `tls`: after the `220` to STARTTLS is on the wire, before the handshake. Nothing is
    /// proposed there, so `default` only means "go on with the handshake".
    public init(tlsActions actions: [RuleAction]) {
        self.proposal = nil
        self.carriesMessage = false
        self.enhancedStatusCodes = false
        self.actions = actions
        self.isTLSPlan = true
        self.dropsMessage = false
        self.isFinished = false
    }

    /// LMTP's end of a message (RFC 2033 §4.2): one plan per accepted recipient, in RCPT order, each the
    /// proposal for that recipient with its rule's actions. They run one after another, so a `delay`,
    /// `withhold` or `close` falls between two recipients' replies. The message is stored once, before the
    /// first `2xx`; the step commits as accepted when any recipient got a `2xx`.
    public init(
        recipientPlans: [(proposal: SMTPReply, actions: [RuleAction])], carriesMessage: Bool,
        enhancedStatusCodes: Bool
    ) {
        var plans = recipientPlans.map {
            PlanExecutor(
                proposal: $0.proposal, carriesMessage: carriesMessage, actions: $0.actions,
                enhancedStatusCodes: enhancedStatusCodes)
        }
        precondition(!plans.isEmpty, "an LMTP message has at least one recipient")
        self = plans.removeFirst()
        answersRecipients = true
        laterRecipients = plans
    }

    /// LMTP: the code each recipient gets as things stand — those sent, the `2xx` waiting for the store, and
    /// what the later recipients' plans send (nil after a plan that ends the session or withholds). nil for a
    /// plan that is not LMTP's end of a message.
    public var plannedRecipientCodes: [Int?]? {
        guard answersRecipients else { return nil }
        var codes = recipientCodes
        var (code, continues) = plannedOutcome
        codes.append(heldReply?.code ?? sentCode ?? code)
        for later in laterRecipients {
            (code, continues) = continues ? later.plannedOutcome : (nil, false)
            codes.append(code)
        }
        return codes
    }

    /// The first reply code the plan's actions send, and whether the session goes on after them.
    private var plannedOutcome: (code: Int?, continues: Bool) {
        var code: Int?
        for action in actions {
            switch action {
            case .reply(let reply): code = code ?? reply.code
            case .useDefault: code = code ?? proposal?.code
            case .raw(let bytes): code = code ?? SMTPReply.leadingCode(bytes)
            case .withhold, .stall, .close, .reset: return (code, false)
            case .delay, .trickle, .truncate, .dropMessage: continue
            }
        }
        return (code, true)
    }

    /// The plan when no rule fires, shared rather than allocated per event.
    public static let defaultActions: [RuleAction] = [.useDefault]

    /// The next transport action. Call it first, then after each `send` (once a trickle is out) and `wait`.
    public mutating func next() -> TransportAction {
        precondition(!isFinished, "the plan has finished")
        while nextIndex < actions.count {
            let action = actions[nextIndex]
            nextIndex += 1
            switch action {
            case .reply(let reply):
                return send(reply.encoded(enhancedStatusCodes: enhancedStatusCodes), code: reply.code)
            case .useDefault:
                guard let proposal else { continue }
                return send(proposal.encoded(enhancedStatusCodes: enhancedStatusCodes), code: proposal.code)
            case .raw(let bytes):
                return send(bytes, code: SMTPReply.leadingCode(bytes))
            case .delay(let milliseconds):
                return .wait(milliseconds: milliseconds)
            case .trickle(let milliseconds):
                trickleMilliseconds = max(1, milliseconds)
            case .truncate(let bytes):
                truncateBytes = bytes
            case .withhold:
                return finish(.withhold)
            case .stall:
                return finish(.stall)
            case .close:
                return finish(.close(.fin))
            case .reset:
                return finish(.close(.reset))
            case .dropMessage:
                continue
            }
        }
        if answersRecipients { return nextRecipient() }
        return finish(isTLSPlan ? .startHandshake : .commit(sentCode: sentCode))
    }

    /// LMTP: this recipient's plan is done; the next one's starts, or after the last the step commits.
    private mutating func nextRecipient() -> TransportAction {
        recipientCodes.append(sentCode)
        guard !laterRecipients.isEmpty else {
            let accepted = recipientCodes.first { $0.map { (200...299).contains($0) } ?? false }
            return finish(.commit(sentCode: accepted ?? recipientCodes.lazy.compactMap { $0 }.first))
        }
        var successor = laterRecipients.removeFirst()
        successor.answersRecipients = true
        successor.laterRecipients = laterRecipients
        successor.recipientCodes = recipientCodes
        successor.messageStored = messageStored
        self = successor
        return .nextRecipient(index: recipientCodes.count)
    }

    /// The store asked for by `.store` finished: with no refusal the held `2xx` leaves, else the refusal in its
    /// place (`451` for a spool that cannot be written, `552 5.3.4` for a message larger than all the memory
    /// the host may keep). RFC 5321 §4.2.5: the host takes no responsibility for a message it could not keep.
    public mutating func stored(refusal: SMTPReply?) -> TransportAction {
        guard let held = heldReply else { preconditionFailure("no message was being stored") }
        heldReply = nil
        guard let failure = refusal else {
            messageStored = true
            return emit(held.bytes, code: held.code)
        }
        if sentCode == nil { sentCode = failure.code }
        let bytes = failure.encoded(enhancedStatusCodes: enhancedStatusCodes)
        return .send(bytes, code: failure.code, trickleMilliseconds: nil)
    }

    /// A reply, cut by a pending `truncate`; an accepted message is stored before its first `2xx` leaves.
    private mutating func send(_ bytes: [UInt8], code: Int?) -> TransportAction {
        var bytes = bytes
        if let limit = truncateBytes {
            bytes = Array(bytes.prefix(limit))
            truncateBytes = nil
        }
        if let code, (200...299).contains(code), carriesMessage, !messageStored, !dropsMessage {
            heldReply = (bytes, code)
            return .store
        }
        return emit(bytes, code: code)
    }

    private mutating func emit(_ bytes: [UInt8], code: Int?) -> TransportAction {
        if sentCode == nil { sentCode = code }
        return .send(bytes, code: code, trickleMilliseconds: bytes.isEmpty ? nil : trickleMilliseconds)
    }

    private mutating func finish(_ action: TransportAction) -> TransportAction {
        isFinished = true
        return action
    }
}
