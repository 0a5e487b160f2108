import Foundation
import MockMXScenario
import SMTPProtocol

/// Mailpit's chaos triggers (`internal/smtpd/chaos`): fail MAIL FROM, RCPT TO or AUTH with an error code at a
/// probability. Mapped onto scenario rules placed ahead of each SMTP listener's own rules, drawn from the
/// scenario's seeded generator, so a seed gives the same failures run after run.
struct MailpitChaos: Codable, Equatable {
    struct Trigger: Codable, Equatable {
        var ErrorCode: Int
        var Probability: Int
    }

    var Sender = Trigger(ErrorCode: 451, Probability: 0)
    var Recipient = Trigger(ErrorCode: 451, Probability: 0)
    var Authentication = Trigger(ErrorCode: 535, Probability: 0)

    init() {}

    /// Mailpit's `PUT` body: an omitted trigger, or an omitted or zero `ErrorCode`, takes the default; codes
    /// must be 400–599 and probabilities 0–100. Unlike Mailpit, which applies triggers one by one and may
    /// keep the first when the second is refused, a refused body changes nothing.
    init(body: [UInt8]) throws(MailpitChaos.Problem) {
        struct PartialTrigger: Decodable {
            var ErrorCode: Int?
            var Probability: Int?
        }
        struct Body: Decodable {
            var Sender: PartialTrigger?
            var Recipient: PartialTrigger?
            var Authentication: PartialTrigger?
        }
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            throw Problem(message: MailpitAPI.describe(error))
        }
        func trigger(_ given: PartialTrigger?, defaultCode: Int) throws(MailpitChaos.Problem) -> Trigger {
            let code = given?.ErrorCode.flatMap { $0 == 0 ? nil : $0 } ?? defaultCode
            let probability = given?.Probability ?? 0
            guard (400...599).contains(code) else { throw Problem(message: "error code must be between 400 and 599") }
            guard (0...100).contains(probability) else {
                throw Problem(message: "probability must be between 0 and 100")
            }
            return Trigger(ErrorCode: code, Probability: probability)
        }
        Sender = try trigger(decoded.Sender, defaultCode: 451)
        Recipient = try trigger(decoded.Recipient, defaultCode: 451)
        Authentication = try trigger(decoded.Authentication, defaultCode: 535)
    }

    struct Problem: Error {
        var message: String
    }

    /// Where the chaos rules say they come from, in transcripts and metrics.
    static let location = "mailpit-api"

    /// The rules, one per trigger with a probability above 0, replying as Mailpit's SMTP server does
    /// (`451 Chaos sender error`).
    var rules: [Rule] {
        let triggers: [(name: String, event: String, word: String, trigger: Trigger)] = [
            ("Sender", "mail", "sender", Sender), ("Recipient", "rcpt", "recipient", Recipient),
            ("Authentication", "auth", "authentication", Authentication),
        ]
        var rules: [Rule] = []
        for entry in triggers where entry.trigger.Probability > 0 {
            let probability = entry.trigger.Probability
            let reply = SMTPReply(entry.trigger.ErrorCode, nil, "Chaos \(entry.word) error")
            rules.append(
                Rule(
                    index: rules.count, location: MailpitChaos.location, name: "mailpit chaos \(entry.name)",
                    event: entry.event,
                    conditions: RuleConditions(chance: probability >= 100 ? nil : Double(probability) / 100),
                    actions: [.reply(reply)]))
        }
        return rules
    }

    /// `scenario` with any earlier chaos rules taken out and these placed first.
    func applied(to scenario: Scenario) -> Scenario {
        var scenario = scenario
        scenario.rules = rules + scenario.rules.filter { $0.location != MailpitChaos.location }
        return scenario
    }
}

extension MailpitAPI {
    func setChaos(_ request: APIRequest) -> APIResponse {
        do throws(MailpitChaos.Problem) {
            chaos = try MailpitChaos(body: request.body)
        } catch {
            return MailpitAPI.badRequest(error.message)
        }
        applyChaos(restartingEngines: true)
        return APIResponse.json(chaos)
    }

    /// Every listener plays its scenario with the chaos rules in front. A new engine starts the listener's
    /// rule state afresh, as any scenario swap does, so each `PUT` replays the same seeded failures; open
    /// sessions keep the engine they started with.
    func applyChaos(restartingEngines: Bool) {
        for listener in runtime.listeners {
            let current = listener.engine.scenario
            let updated = chaos.applied(to: current)
            if restartingEngines || updated != current { listener.engine = ScenarioEngine(scenario: updated) }
        }
    }

    /// `POST /api/v1/reset` of the control API: the triggers back to off, read marks and counts cleared.
    func reset() {
        chaos = MailpitChaos()
        readIDs.removeAll()
        deletedCount = 0
        applyChaos(restartingEngines: false)
    }
}
