import MockMXScenario
import SMTPProtocol
import Testing

/// The executor driven as the connection drives it, action by action, with no socket.
@Suite struct PlanExecutorTests {
    typealias Action = PlanExecutor.TransportAction

    private let ok = SMTPReply(250, "2.1.0", "Ok")
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func rcpt() -> SMTPStep {
        SMTPStep(
            event: .command(verb: "RCPT", arguments: bytes("TO:<b@example.org>"), recognized: true),
            reply: SMTPReply(250, "2.1.5", "Ok"))
    }

    private func dataEnd() -> SMTPStep {
        let message = ReceivedMessage(
            id: "S1.1", heloName: "c", mailFrom: "a@example.com", mailParameters: [], recipients: ["b@example.org"],
            content: bytes("hi\r\n"), xexch50: nil)
        let reply = SMTPReply(250, "2.0.0", "Ok: queued as S1.1")
        return SMTPStep(event: .dataEnd(bytes: 4), reply: reply, message: message)
    }

    /// Every action until the plan ends or waits for something other than `next()`.
    private func run(_ executor: inout PlanExecutor) -> [Action] {
        var performed: [Action] = []
        while !executor.isFinished {
            let action = executor.next()
            performed.append(action)
            if case .store = action { break }
        }
        return performed
    }

    @Test func withoutARuleTheProposalIsSentAndCommitted() {
        var executor = PlanExecutor(step: rcpt(), actions: PlanExecutor.defaultActions, enhancedStatusCodes: true)
        #expect(
            run(&executor) == [.send(bytes("250 2.1.5 Ok\r\n"), code: 250, trickleMilliseconds: nil), .commit(sentCode: 250)])
    }

    @Test func aRuleReplyReplacesTheProposalAndItsCodeIsCommitted() {
        let refusal = SMTPReply(550, "5.1.1", "No such user")
        var executor = PlanExecutor(step: rcpt(), actions: [.reply(refusal)], enhancedStatusCodes: false)
        #expect(
            run(&executor)
                == [.send(bytes("550 No such user\r\n"), code: 550, trickleMilliseconds: nil), .commit(sentCode: 550)])
    }

    @Test func theFirstReplySentIsTheOneCommitted() {
        var executor = PlanExecutor(
            step: rcpt(), actions: [.reply(SMTPReply(451, "4.7.1", "later")), .useDefault], enhancedStatusCodes: false)
        let actions = run(&executor)
        #expect(actions.count == 3)
        #expect(actions.last == .commit(sentCode: 451))
    }

    @Test func delayWaitsBeforeTheReply() {
        var executor = PlanExecutor(
            step: rcpt(), actions: [.delay(milliseconds: 1500), .useDefault], enhancedStatusCodes: true)
        #expect(executor.next() == .wait(milliseconds: 1500))
        #expect(executor.next() == .send(bytes("250 2.1.5 Ok\r\n"), code: 250, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 250))
    }

    @Test func trickleAppliesToEveryLaterReplyAndTruncateToTheNextOne() {
        var executor = PlanExecutor(
            step: rcpt(), actions: [.trickle(milliseconds: 0), .truncate(bytes: 3), .useDefault, .raw(bytes("x\r\n"))],
            enhancedStatusCodes: true)
        #expect(executor.next() == .send(bytes("250"), code: 250, trickleMilliseconds: 1))
        #expect(executor.next() == .send(bytes("x\r\n"), code: nil, trickleMilliseconds: 1))
        #expect(executor.next() == .commit(sentCode: 250))
    }

    @Test func rawBytesCarryTheCodeTheyStartWith() {
        var executor = PlanExecutor(step: rcpt(), actions: [.raw(bytes("452 full\r\n"))], enhancedStatusCodes: true)
        #expect(executor.next() == .send(bytes("452 full\r\n"), code: 452, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 452))
    }

    @Test func endingActionsFinishThePlanWithoutACommit() {
        let endings: [(RuleAction, Action)] = [
            (.withhold, .withhold), (.stall, .stall), (.close, .close(.fin)), (.reset, .close(.reset)),
        ]
        for (rule, expected) in endings {
            var executor = PlanExecutor(
                step: rcpt(), actions: [.useDefault, rule, .useDefault], enhancedStatusCodes: true)
            #expect(executor.next() == .send(bytes("250 2.1.5 Ok\r\n"), code: 250, trickleMilliseconds: nil))
            #expect(executor.next() == expected)
            #expect(executor.isFinished)
        }
    }

    @Test func anAcceptedMessageIsStoredBeforeItsReplyLeaves() throws {
        var executor = PlanExecutor(step: dataEnd(), actions: PlanExecutor.defaultActions, enhancedStatusCodes: false)
        #expect(executor.next() == .store)
        #expect(
            executor.stored(refusal: nil)
                == .send(bytes("250 Ok: queued as S1.1\r\n"), code: 250, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 250))
    }

    @Test func aMessageThatCannotBeStoredIsAnswered451() throws {
        var executor = PlanExecutor(step: dataEnd(), actions: PlanExecutor.defaultActions, enhancedStatusCodes: true)
        guard case .store = executor.next() else {
            Issue.record("expected a store first")
            return
        }
        #expect(
            executor.stored(refusal: SMTPReply(451, "4.3.0", "Error: queue file write error"))
                == .send(bytes("451 4.3.0 Error: queue file write error\r\n"), code: 451, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 451))
    }

    @Test func dropMessageAcknowledgesWithoutStoring() {
        var executor = PlanExecutor(step: dataEnd(), actions: [.dropMessage, .useDefault], enhancedStatusCodes: false)
        #expect(executor.next() == .send(bytes("250 Ok: queued as S1.1\r\n"), code: 250, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 250))
    }

    @Test func aRefusalOfTheMessageStoresNothing() {
        var executor = PlanExecutor(
            step: dataEnd(), actions: [.reply(SMTPReply(554, "5.7.1", "spam"))], enhancedStatusCodes: false)
        #expect(executor.next() == .send(bytes("554 spam\r\n"), code: 554, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 554))
    }

    // MARK: - tls

    @Test func tlsWithoutARuleGoesStraightToTheHandshake() {
        var executor = PlanExecutor(tlsActions: PlanExecutor.defaultActions)
        #expect(executor.next() == .startHandshake)
        #expect(executor.isFinished)
    }

    @Test func tlsDelayThenResetResetsAfterTheDelay() {
        var executor = PlanExecutor(tlsActions: [.delay(milliseconds: 1000), .reset])
        #expect(executor.next() == .wait(milliseconds: 1000))
        #expect(executor.next() == .close(.reset))
        #expect(executor.isFinished)
    }

    @Test func tlsDelayAloneDelaysTheHandshake() {
        var executor = PlanExecutor(tlsActions: [.delay(milliseconds: 250), .useDefault])
        #expect(executor.next() == .wait(milliseconds: 250))
        #expect(executor.next() == .startHandshake)
    }

    @Test func tlsEveryEndingActionEndsBeforeTheHandshake() {
        let endings: [(RuleAction, Action)] = [
            (.withhold, .withhold), (.stall, .stall), (.close, .close(.fin)), (.reset, .close(.reset)),
        ]
        for (rule, expected) in endings {
            var executor = PlanExecutor(tlsActions: [rule])
            #expect(executor.next() == expected)
            #expect(executor.isFinished)
        }
    }

    @Test func tlsRawBytesGoWhereTheHandshakeShouldStartThenItRuns() {
        var executor = PlanExecutor(tlsActions: [.raw(bytes("garbage\r\n"))])
        #expect(executor.next() == .send(bytes("garbage\r\n"), code: nil, trickleMilliseconds: nil))
        #expect(executor.next() == .startHandshake)
    }

    @Test func tlsRawThenCloseSendsTheBytesThenCloses() {
        var executor = PlanExecutor(tlsActions: [.delay(milliseconds: 5), .raw(bytes("421 go away\r\n")), .close])
        #expect(executor.next() == .wait(milliseconds: 5))
        #expect(executor.next() == .send(bytes("421 go away\r\n"), code: 421, trickleMilliseconds: nil))
        #expect(executor.next() == .close(.fin))
    }

    /// A proposal that did not come from the local state machine (a proxied host's reply): rules act on it
    /// the same way, and an accepted message still waits to be stored before its `2xx`.
    @Test func aProposalFromElsewhereIsSentAsGivenAndAMessageStillWaitsForTheStore() {
        let upstream = SMTPReply(code: 250, lines: ["mx.example.org Hello", "SIZE 1000"])
        var executor = PlanExecutor(
            proposal: upstream, carriesMessage: false, actions: [.delay(milliseconds: 7), .useDefault],
            enhancedStatusCodes: true)
        #expect(executor.next() == .wait(milliseconds: 7))
        #expect(
            executor.next() == .send(bytes("250-mx.example.org Hello\r\n250 SIZE 1000\r\n"), code: 250, trickleMilliseconds: nil))
        #expect(executor.next() == .commit(sentCode: 250))

        var accepted = PlanExecutor(
            proposal: SMTPReply(250, nil, "2.0.0 Ok: queued as UP1"), carriesMessage: true,
            actions: PlanExecutor.defaultActions, enhancedStatusCodes: true)
        #expect(accepted.next() == .store)
        #expect(
            accepted.stored(refusal: nil)
                == .send(bytes("250 2.0.0 Ok: queued as UP1\r\n"), code: 250, trickleMilliseconds: nil))
    }
}
