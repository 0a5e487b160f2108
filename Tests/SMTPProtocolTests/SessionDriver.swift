import SMTPProtocol

/// Feeds a state machine like the transport does when no rule interferes: every proposal is sent
/// and committed. Input goes in whole or one byte at a time.
struct SessionDriver {
    var machine: SMTPSessionStateMachine
    var output: [UInt8] = []
    var messages: [ReceivedMessage] = []
    var events: [SMTPEvent] = []
    var closed = false
    let dripping: Bool
    /// Overrides the code committed for the next steps, in order (nil = withheld); proposals otherwise.
    var overrides: [Int?] = []

    init(_ configuration: SMTPServerConfiguration = SMTPServerConfiguration(), dripping: Bool = false) {
        machine = SMTPSessionStateMachine(configuration: configuration, sessionID: "S1")
        self.dripping = dripping
        let greeting = machine.connect()
        apply(greeting)
    }

    mutating func send(_ text: String) {
        send(Array(text.utf8))
    }

    mutating func send(_ bytes: [UInt8]) {
        if dripping {
            for byte in bytes {
                machine.receive([byte])
                drain()
            }
        } else {
            machine.receive(bytes)
            drain()
        }
    }

    mutating func drain() {
        while let step = machine.nextStep() {
            apply(step)
        }
    }

    private mutating func apply(_ step: SMTPStep) {
        events.append(step.event)
        var code = step.reply?.code
        if !overrides.isEmpty {
            code = overrides.removeFirst()
            if let code { output += Array("\(code) overridden\r\n".utf8) }
        } else if !step.recipientReplies.isEmpty {
            // LMTP: every recipient's reply goes out; the message counts as accepted when one was positive.
            for recipientReply in step.recipientReplies { output += machine.encode(recipientReply.reply) }
            let codes = step.recipientReplies.map(\.reply.code)
            code = codes.first { (200...299).contains($0) } ?? codes[0]
            if let message = step.message, let code, (200...299).contains(code) { messages.append(message) }
        } else if let reply = step.reply {
            output += machine.encode(reply)
            if let message = step.message, (200...299).contains(reply.code) { messages.append(message) }
        }
        machine.commit(sentCode: code)
        if step.closesConnection { closed = true }
    }

    /// Everything sent so far, as lines without CRLF.
    var lines: [String] {
        String(decoding: output, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    /// Reply lines after the greeting, and clears them.
    mutating func takeLines() -> [String] {
        let all = lines
        output.removeAll()
        return all
    }
}
