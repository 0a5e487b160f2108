/// One entry of `rules:`: an event, conditions that must all hold, and what to do.
public struct Rule: Sendable, Equatable {
    /// 0-based position in `rules:`.
    public var index: Int
    /// `FILE:LINE:COLUMN` of the rule in its file, for transcripts: `rule 2 (greylist.yaml:14:5)`.
    public var location: String
    /// Optional human name from `name:`, shown in transcripts next to the location.
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

    /// The actions to run: `actions`, followed by `.useDefault` when none of them sends anything or
    /// ends the session (a lone `delay` delays the normal reply rather than suppressing it).
    public var effectiveActions: [RuleAction] {
        actions.contains(where: \.sendsOrEnds) ? actions : actions + [.useDefault]
    }
}
