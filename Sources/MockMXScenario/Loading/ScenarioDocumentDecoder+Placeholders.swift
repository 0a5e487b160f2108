import SMTPProtocol

/// `{hostname}` in the greeting and in rule replies, filled in once the whole document is decoded.
///
/// Decoding keeps the placeholder as written because the name is final only after `extends:` is merged:
/// a file that extends `greylist` and names its own host must greet with that name, not the base's.
extension ScenarioDocumentDecoder {
    static let hostnamePlaceholder = "{hostname}"

    /// The protocol's own greeting with the placeholder where it names the host, so that a scenario that
    /// extends one without a greeting of its own greets with its own name.
    static let defaultGreeting = SMTPServerConfiguration(hostname: hostnamePlaceholder).greeting

    static func fillingInPlaceholders(of scenario: Scenario) -> Scenario {
        var scenario = scenario
        let hostname = scenario.host.hostname
        scenario.host.greeting = filling(scenario.host.greeting, hostname: hostname)
        for index in scenario.rules.indices {
            scenario.rules[index].actions = scenario.rules[index].actions.map { action in
                guard case let .reply(reply) = action else { return action }
                return .reply(filling(reply, hostname: hostname))
            }
        }
        return scenario
    }

    private static func filling(_ reply: SMTPReply, hostname: String) -> SMTPReply {
        var reply = reply
        reply.lines = reply.lines.map { $0.replacing(hostnamePlaceholder, with: hostname) }
        return reply
    }
}
