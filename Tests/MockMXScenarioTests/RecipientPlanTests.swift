import MockMXScenario
import SMTPProtocol
import Testing

/// LMTP's end of a message: one plan per recipient, driven as the connection drives it.
@Suite struct RecipientPlanTests {
    typealias Action = PlanExecutor.TransportAction

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    private func delivered(_ address: String) -> SMTPReply { SMTPReply(250, "2.0.0", "<\(address)> Ok") }
    private let full = SMTPReply(452, "4.2.2", "Mailbox full")

    /// Every action, answering `.store` with `refusal`, until the plan ends.
    private func run(_ executor: inout PlanExecutor, storeRefusal: SMTPReply? = nil) -> [Action] {
        var performed: [Action] = []
        var action = executor.next()
        while true {
            performed.append(action)
            switch action {
            case .store: action = executor.stored(refusal: storeRefusal)
            case .commit, .close, .withhold, .stall: return performed
            default: action = executor.next()
            }
        }
    }

    @Test func theMessageIsStoredOnceBeforeTheFirst2xxAndTheStepCommitsAsAccepted() {
        var executor = PlanExecutor(
            recipientPlans: [
                (delivered("full@x"), [.reply(full)]), (delivered("a@x"), PlanExecutor.defaultActions),
                (delivered("b@x"), PlanExecutor.defaultActions),
            ],
            carriesMessage: true, enhancedStatusCodes: true)
        #expect(executor.plannedRecipientCodes == [452, 250, 250])
        #expect(
            run(&executor) == [
                .send(bytes("452 4.2.2 Mailbox full\r\n"), code: 452, trickleMilliseconds: nil),
                .nextRecipient(index: 1), .store,
                .send(bytes("250 2.0.0 <a@x> Ok\r\n"), code: 250, trickleMilliseconds: nil),
                .nextRecipient(index: 2),
                .send(bytes("250 2.0.0 <b@x> Ok\r\n"), code: 250, trickleMilliseconds: nil),
                .commit(sentCode: 250),
            ])
    }

    @Test func aCloseAfterTheFirstReplyLeavesTheLaterRecipientsWithoutOne() {
        var executor = PlanExecutor(
            recipientPlans: [
                (delivered("a@x"), [.useDefault, .close]), (delivered("b@x"), PlanExecutor.defaultActions),
            ],
            carriesMessage: true, enhancedStatusCodes: true)
        #expect(executor.plannedRecipientCodes == [250, nil])
        #expect(
            run(&executor) == [
                .store, .send(bytes("250 2.0.0 <a@x> Ok\r\n"), code: 250, trickleMilliseconds: nil), .close(.fin),
            ])
    }

    @Test func aDelayRunsBetweenTwoRecipientsReplies() {
        var executor = PlanExecutor(
            recipientPlans: [
                (full, PlanExecutor.defaultActions), (full, [.delay(milliseconds: 500), .useDefault]),
            ],
            carriesMessage: false, enhancedStatusCodes: false)
        #expect(
            run(&executor) == [
                .send(bytes("452 Mailbox full\r\n"), code: 452, trickleMilliseconds: nil), .nextRecipient(index: 1),
                .wait(milliseconds: 500), .send(bytes("452 Mailbox full\r\n"), code: 452, trickleMilliseconds: nil),
                .commit(sentCode: 452),
            ])
    }

    @Test func aStoreThatFailsIsTriedAgainAtTheNext2xx() {
        let spoolFull = SMTPReply(451, "4.3.0", "Error: spool")
        var executor = PlanExecutor(
            recipientPlans: [
                (delivered("a@x"), PlanExecutor.defaultActions), (delivered("b@x"), PlanExecutor.defaultActions),
            ],
            carriesMessage: true, enhancedStatusCodes: true)
        let actions = run(&executor, storeRefusal: spoolFull)
        #expect(actions.filter { $0 == .store }.count == 2)
        #expect(actions.last == .commit(sentCode: 451))
    }

    @Test func aPlanThatIsNotLMTPsHasNoRecipientCodes() {
        let executor = PlanExecutor(proposal: full, carriesMessage: false, actions: [], enhancedStatusCodes: true)
        #expect(executor.plannedRecipientCodes == nil)
    }
}
