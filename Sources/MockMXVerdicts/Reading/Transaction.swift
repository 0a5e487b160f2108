/// One mail transaction of a dialogue: MAIL, its RCPTs and what became of the message.
struct Transaction {
    struct Recipient {
        var address: String
        var command: Int
        var code: Int?
    }

    var session: Int
    var mail: Int
    var from: String
    var mailCode: Int?
    var recipients: [Recipient] = []
    /// The content (or last BDAT chunk) and the end-of-data reply's code; nil code when withheld.
    var content: Int?
    var contentCode: Int?
    var contentBytes = 0
    var contentWithheld = false
    /// The queue id the end-of-data reply named.
    var queueID: String?

    var accepted: [String] { recipients.filter { ($0.code ?? 0) / 100 == 2 }.map(\.address) }

    /// A message the client may take as delivered: its end of data was accepted, or never answered.
    var delivered: Bool { content != nil && (contentWithheld || (contentCode ?? 0) / 100 == 2) }

    static func all(in dialogue: Dialogue, session: Int) -> [Transaction] {
        var transactions: [Transaction] = []
        var current: Transaction?
        var chunkBytes = 0
        for (index, command) in dialogue.commands.enumerated() {
            let code = dialogue.reply(of: command)?.code
            switch (command.kind, command.verb) {
            case (.command, "MAIL"):
                if let current { transactions.append(current) }
                current = Transaction(
                    session: session, mail: index, from: Envelope.address(command.argument), mailCode: code)
                chunkBytes = 0
            case (.command, "RCPT"):
                current?.recipients.append(Recipient(address: Envelope.address(command.argument), command: index, code: code))
            case (.content, _):
                current?.content = index
                current?.contentCode = code
                current?.contentBytes = command.bytes
                current?.contentWithheld = command.withheldEntry != nil
                current?.queueID = dialogue.reply(of: command).flatMap { MessageIdentity.queueID(inReply: $0.lines[0]) }
            case (.chunk, _):
                chunkBytes += command.bytes
                if command.argument.asciiUppercased.contains("LAST") {
                    current?.content = index
                    current?.contentCode = code
                    current?.contentBytes = chunkBytes
                    current?.contentWithheld = command.withheldEntry != nil
                    current?.queueID = dialogue.reply(of: command).flatMap {
                        MessageIdentity.queueID(inReply: $0.lines[0])
                    }
                }
            case (.command, "RSET"), (.command, "QUIT"):
                if let current { transactions.append(current) }
                current = nil
            default:
                break
            }
        }
        if let current { transactions.append(current) }
        return transactions
    }
}
