/// `{remaining}` in a reply: how long until the key of the rule's `greylist:` or `limit:` gets through,
/// filled in when the rule fires. Nominal time, so with `--clock-scale` the text is the one the real host
/// would send ("please come back in 00:05:00").
extension RuleAction {
    public static let remainingPlaceholder = "{remaining}"

    /// Whether this is a reply with `{remaining}` in it.
    var mentionsRemaining: Bool {
        guard case .reply(let reply) = self else { return false }
        return reply.lines.contains { $0.contains(Self.remainingPlaceholder) }
    }

    func fillingIn(remainingMilliseconds: Int) -> RuleAction {
        guard mentionsRemaining, case .reply(var reply) = self else { return self }
        let text = Self.clockText(milliseconds: remainingMilliseconds)
        reply.lines = reply.lines.map { $0.replacing(Self.remainingPlaceholder, with: text) }
        return .reply(reply)
    }

    /// `HH:MM:SS`, rounded up to the second so that a retry after that long passes.
    static func clockText(milliseconds: Int) -> String {
        let seconds = (max(0, milliseconds) + 999) / 1000
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(twoDigits(seconds / 3600)):\(twoDigits(seconds / 60 % 60)):\(twoDigits(seconds % 60))"
    }
}
