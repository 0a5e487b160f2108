import MockMXScenario
import SMTPProtocol

/// LMTP's end of a message (RFC 2033 §4.2): one reply per accepted recipient. The rules on the event
/// (`data.end`, `bdat.last`) are matched once per recipient, with that recipient alone as the envelope's, so
/// `recipient:` picks whose reply a rule decides; the plans then run one after another.
extension SMTPConnection {
    func planRecipients(_ next: SMTPStep) {
        let name = next.event.name
        let event = EventName(name)
        let rules = engine.rules(on: event, isUnknownCommand: false)
        let (occurrence, messageOccurrence) = countOccurrence(of: event, for: rules)
        var plans: [(proposal: SMTPReply, actions: [RuleAction])] = []
        var labels: [String?] = []
        let numbers = EventNumbers(
            sessionNumber: sessionNumber, occurrence: occurrence, messageNumber: machine.messageNumber,
            messageOccurrence: messageOccurrence, bytes: next.event.progressBytes)
        for recipientReply in next.recipientReplies {
            let rule = rules.flatMap { rules in
                engine.match(rules, numbers: numbers, arguments: [], helo: machine.helo) {
                    RuleEventContext(
                        event: name, helo: machine.helo, sessionNumber: sessionNumber, occurrence: occurrence,
                        messageNumber: machine.messageNumber, messageOccurrence: messageOccurrence,
                        clientAddress: record.clientAddress, bytes: next.event.progressBytes,
                        sender: machine.transactionSender, recipients: [recipientReply.recipient])
                }
            }
            if let rule { announce(rule) }
            plans.append((recipientReply.reply, rule?.effectiveActions ?? PlanExecutor.defaultActions))
            labels.append(rule?.label)
        }
        step = StepFacts(eventName: name, message: next.message, recipientRules: labels)
        ruleLabel = labels[0]
        executor = PlanExecutor(
            recipientPlans: plans, carriesMessage: next.message != nil,
            enhancedStatusCodes: machine.usesEnhancedStatusCodes)
        state = .executing
        runPlan()
    }
}
