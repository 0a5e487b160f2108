@testable import MockMXScenario
import SMTPProtocol
import Testing

/// The engine screens each rule on integers and byte sets before looking at it whole; a screen that refused
/// what the whole check accepts would silently stop a rule from firing.
@Suite struct RuleScreenTests {
    /// Over many conditions and events: whenever the whole check holds, the screen admits.
    @Test func aScreenNeverRefusesWhatTheWholeCheckAccepts() throws {
        let patterns = try ["(?i)^TO: ?<later-0[^@>]*@", "^bad-1\\.example$", "x", "(?i)ABC", "[0-9]+"]
            .map { try RulePattern($0) }
        let subjects = ["TO:<later-01@d>", "to: <LATER-0x@d>", "bad-1.example", "xABCx", "abc", "", "42", "\u{0}x"]
            .map { Array($0.utf8) }
        var random = ScenarioRandomGenerator(seed: 7)
        func pick<T>(_ options: [T]) -> T { options[Int(random.nextUnitInterval() * Double(options.count))] }
        var admitted = 0
        var held = 0
        for _ in 0..<20_000 {
            let conditions = RuleConditions(
                arguments: pick([nil] + patterns), helo: pick([nil] + patterns),
                session: pick([nil, SessionSelector(numbers: [2]), SessionSelector(from: 2),
                               SessionSelector(numbers: [1, 3]), SessionSelector(numbers: [1], from: 3)]),
                nth: pick([nil, 1, 2]), nthInMessage: pick([nil, 1, 2]), message: pick([nil, 1, 2]),
                bytes: pick([nil, 0, 10]))
            let context = RuleEventContext(
                event: "rcpt", arguments: pick(subjects), helo: pick([nil] + subjects), sessionNumber: pick([1, 2, 3]),
                occurrence: pick([1, 2]), messageNumber: pick([1, 2]), messageOccurrence: pick([1, 2]),
                bytes: pick([nil, 5, 10]))
            var subjectsOfEvent = EventSubjects(context)
            var screened = ScreenedBytes()
            let admits = RuleScreen(conditions).admits(context.numbers, context.arguments, context.helo, &screened)
            let holds = conditions.holdsIgnoringCountersAndChance(for: context, &subjectsOfEvent)
            #expect(admits || !holds, "\(conditions) refused \(context)")
            admitted += admits ? 1 : 0
            held += holds ? 1 : 0
        }
        // The screen does turn rules away, and some rules do hold: the loop tested both sides.
        #expect(admitted < 20_000 && held > 100)
    }

    /// Through the engine: a rule behind rules that are screened out still fires, and its context is made
    /// only then.
    @Test func theContextIsMadeOnlyForARuleThatPassesItsScreen() throws {
        func rule(_ index: Int, _ conditions: RuleConditions) -> Rule {
            Rule(index: index, location: "code", event: "rcpt", conditions: conditions,
                 actions: [.reply(SMTPReply(550, "5.7.1", "no"))])
        }
        var rules = [rule(0, RuleConditions(nth: 5)), rule(1, RuleConditions(arguments: try RulePattern("zzz")))]
        let engine = ScenarioEngine(scenario: Scenario(name: "screens", rules: rules))
        var made = 0
        let numbers = EventNumbers(sessionNumber: 1, occurrence: 1, messageNumber: 1, messageOccurrence: 1, bytes: nil)
        let arguments = Array("TO:<a@b>".utf8)
        let onRcpt = try #require(engine.rules(on: EventName("rcpt"), isUnknownCommand: false))
        let none = engine.match(onRcpt, numbers: numbers, arguments: arguments, helo: nil) {
            made += 1
            return RuleEventContext(event: "rcpt", arguments: arguments)
        }
        #expect(none == nil && made == 0)
        rules.append(rule(2, RuleConditions()))
        let withThird = ScenarioEngine(scenario: Scenario(name: "screens", rules: rules))
        let third = withThird.match(
            try #require(withThird.rules(on: EventName("rcpt"), isUnknownCommand: false)),
            numbers: numbers, arguments: arguments, helo: nil
        ) {
                made += 1
                return RuleEventContext(event: "rcpt", arguments: arguments)
            }
        #expect(third?.index == 2 && made == 1)
    }

    /// More rules on one event than one mask word holds: the first rule that holds still wins, in any word.
    @Test func rulesBeyondSixtyFourOnAnEventKeepTheirOrder() throws {
        let rules = try (0..<150).map { index in
            let conditions = index == 130 ? RuleConditions() : RuleConditions(arguments: try RulePattern("<a-\(index)@"))
            return Rule(index: index, location: "code", event: "rcpt", conditions: conditions,
                        actions: [.reply(SMTPReply(550, "5.7.1", "no"))])
        }
        let engine = ScenarioEngine(scenario: Scenario(name: "many", rules: rules))
        func fired(_ arguments: String) -> Int? {
            engine.match(RuleEventContext(event: "rcpt", arguments: Array(arguments.utf8)))?.index
        }
        #expect(fired("TO:<a-5@b>") == 5)
        #expect(fired("TO:<a-70@b>") == 70)
        #expect(fired("TO:<a-129@b>") == 129)
        #expect(fired("TO:<a-140@b>") == 130)
        #expect(fired("TO:<zz>") == 130)
    }
}
