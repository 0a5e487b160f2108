@testable import SMTPProtocol
import Testing

/// Verbs are recognized as packed integers: every case, any letter case, and nothing that merely packs alike.
@Suite struct VerbTests {
    @Test func everyCommandIsRecognizedInAnyCase() {
        for command in SMTPCommand.allCases {
            let upper = Array(command.rawValue.utf8)
            #expect(SMTPCommand(verb: upper) == command)
            #expect(SMTPCommand(verb: upper.map(ASCII.lowercased)) == command)
            #expect(SMTPEvent.command(verb: command.rawValue, arguments: [], recognized: true).name == command.eventName)
        }
    }

    @Test(arguments: ["\0MAIL", "MAIL\0", "MAILX", "MAI", "", "STARTTLSX", "XEXCH50000", "M\u{C0}IL"])
    func nearVerbsAreNotCommands(verb: String) {
        #expect(SMTPCommand(verb: Array(verb.utf8)) == nil)
    }

    @Test func anUnknownVerbIsNamedInLowerCase() {
        #expect(SMTPEvent.command(verb: "X-LINK2STATE", arguments: [], recognized: false).name == "x-link2state")
    }

    @Test func mixedCaseCommandsDriveASession() {
        var session = SessionDriver(dripping: false)
        _ = session.takeLines()
        session.send(Array("eHlO client\r\nmAiL FROM:<a@b.example>\r\nRcPt TO:<c@d.example>\r\nqUiT\r\n".utf8))
        let lines = session.takeLines()
        #expect(lines.contains("250 2.1.0 Ok"))
        #expect(lines.contains("250 2.1.5 Ok"))
        #expect(lines.last?.hasPrefix("221") == true)
    }
}

/// The one reply-code parser, as scenarios, raw rule bytes, metrics and logs use it.
@Suite struct ReplyCodeTests {
    @Test(arguments: [
        ("250", 250), ("250 2.0.0 Ok", 250), ("250-PIPELINING", 250), ("421\r\n", 421), ("354\n", 354),
    ])
    func aLineThatStartsWithACodeHasIt(line: String, code: Int) {
        #expect(SMTPReply.leadingCode(line) == code)
        #expect(SMTPReply.leadingCode(Array(line.utf8)) == code)
    }

    @Test(arguments: ["", "25", "2500", "25x", "250x", "abc", " 250", "２５０"])
    func anythingElseHasNone(line: String) {
        #expect(SMTPReply.leadingCode(line) == nil)
    }
}
