/// Which connections a rule applies to (`session: 1`, `session: [1, 2]`, `session: "3+"`).
public struct SessionSelector: Sendable, Equatable {
    /// Session numbers matched exactly.
    public var numbers: [Int]
    /// Every session from this number on (`"3+"`), if any.
    public var from: Int?

    public init(numbers: [Int] = [], from: Int? = nil) {
        self.numbers = numbers
        self.from = from
    }

    public func contains(_ sessionNumber: Int) -> Bool {
        if let from, sessionNumber >= from { return true }
        return numbers.contains(sessionNumber)
    }
}
