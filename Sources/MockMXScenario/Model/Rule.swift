/// One entry of `rules:`: an event, conditions that must all hold, and what to do.
public struct Rule: Sendable, Equatable {
    /// 0-based position in `rules:`.
    public var index: Int
    /// `FILE:LINE:COLUMN` of the rule in its file, part of its ``label``.
    public var location: String
    /// Optional human name from `name:`: one line, not empty. It names the rule in its ``label``.
    public var name: String?
    /// Lower-case event name as in `on:`: `rcpt`, `data.end`, `unknown`, `x-link2state`, …
    public var event: String
    public var conditions: RuleConditions
    /// The actions as written.
    public var actions: [RuleAction]

    public init(
        index: Int,
        location: String,
        name: String? = nil,
        event: String,
        conditions: RuleConditions = RuleConditions(),
        actions: [RuleAction]
    ) {
        self.index = index
        self.location = location
        self.name = name
        self.event = event
        self.conditions = conditions
        self.actions = actions
    }

    /// How the rule is reported wherever it decided something (transcripts, logs, verdicts):
    /// `greylisted on first contact (greylist.yaml:11:5)`, or `rule 2 (mine.yaml:14:5)` without a name.
    /// The location tells apart rules of the same name, as in a file and the scenario it extends.
    public var label: String {
        "\(metricLabel) (\(location))"
    }

    /// The rule in metric labels: its name, or `rule N`. No location, whose line numbers would start a
    /// new time series whenever the file is edited above the rule.
    public var metricLabel: String {
        name ?? "rule \(index)"
    }

    /// The actions to run: `actions`, followed by `.useDefault` when none of them sends anything or
    /// ends the session (a lone `delay` delays the normal reply rather than suppressing it).
    public var effectiveActions: [RuleAction] {
        actions.contains(where: \.sendsOrEnds) ? actions : actions + [.useDefault]
    }
}
