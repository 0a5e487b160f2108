@testable import SMTPProtocol
import Testing

/// Each proposal carries the effect its commit would have; `commit(sentCode:)` applies it only as far as
/// the code actually sent allows, and a refusal has none to apply.
@Suite struct ProposalEffectTests {
    private func machine(_ configuration: SMTPServerConfiguration = SMTPServerConfiguration())
        -> SMTPSessionStateMachine
    {
        var machine = SMTPSessionStateMachine(configuration: configuration, sessionID: "S")
        machine.commit(sentCode: machine.connect().reply?.code)
        return machine
    }

    @Test func aStepAwaitingCommitHoldsBackTheNextOne() {
        var machine = machine()
        machine.receive(Array("EHLO c\r\nNOOP\r\n".utf8))
        #expect(machine.nextStep()?.reply?.code == 250)
        guard case .hello(let name)? = machine.pending else {
            Issue.record("EHLO proposed \(String(describing: machine.pending))")
            return
        }
        #expect(name == Array("c".utf8))
        #expect(machine.nextStep() == nil)
        machine.commit(sentCode: 250)
        #expect(machine.pending == nil)
        #expect(machine.nextStep()?.event == .command(verb: "NOOP", arguments: [], recognized: true))
    }

    /// The refusals carry no effect, so a rule answering them `250` cannot start or change anything.
    @Test(arguments: [
        "HELO", "MAIL FROM:<a@b>", "RCPT TO:<x@y>", "DATA", "RSET now", "NOOP", "VRFY", "EXPN x", "HELP",
        "NONSENSE", "QUIT",
    ])
    func refusalsAndRepliesThatChangeNothingHaveNoEffect(line: String) {
        var machine = machine()
        machine.receive(Array("\(line)\r\n".utf8))
        #expect(machine.nextStep() != nil)
        guard case .nothing? = machine.pending else {
            Issue.record("\(line) proposed \(String(describing: machine.pending))")
            return
        }
    }

    @Test func aRefusalCommittedAsSuccessStartsNothing() {
        var session = SessionDriver()
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.overrides = [250]
        session.send("MAIL TO:<a@b>\r\nRCPT TO:<x@y>\r\n")
        #expect(session.takeLines() == ["250 overridden", "503 5.5.1 Error: need MAIL command"])
    }

    @Test(arguments: [nil, 421, 451, 550] as [Int?])
    func aMailNotAnsweredPositivelyStartsNoTransaction(code: Int?) {
        var session = SessionDriver()
        session.send("EHLO c\r\n")
        _ = session.takeLines()
        session.overrides = [code]
        session.send("MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nMAIL FROM:<a@b>\r\n")
        #expect(session.takeLines().suffix(2) == ["503 5.5.1 Error: need MAIL command", "250 2.1.0 Ok"])
    }

    /// Content is appended out of the phase enum (`.modifying` holds its place); between reads the phase
    /// is back to the content it reads.
    @Test func aPartlyReadMessageOrBlobLeavesThePhaseReadingContent() {
        var session = SessionDriver(SMTPServerConfiguration(extensions: ["XEXCH50"]))
        session.send("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nXEXCH50 8 2\r\n1234")
        guard case .blob(8, 2, let received) = session.machine.phase else {
            Issue.record("phase \(session.machine.phase)")
            return
        }
        #expect(received == Array("1234".utf8))
        session.send("5678DATA\r\npart")
        guard case .data(let receiver) = session.machine.phase else {
            Issue.record("phase \(session.machine.phase)")
            return
        }
        #expect(receiver.receivedBytes == 4)
        #expect(session.machine.isReceivingContent && !session.machine.isClosed)
        session.send("\r\n.\r\n")
        #expect(session.messages.first?.xexch50 == XEXCH50Blob(bytes: Array("12345678".utf8), recipientArgument: 2))
        #expect(session.messages.first?.content == Array("part\r\n".utf8))
    }
}
