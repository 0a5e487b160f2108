/// What the wire carried in a message's content beyond its size: bare line ends and over-long lines. The host
/// notes it after the end of data, only when there was something to say:
/// `message content: 2 bare <LF>, 0 bare <CR>, 1 line over 1000 octets (longest 1502)`.
public struct ContentShape: Sendable, Equatable {
    public static let notePrefix = "message content: "

    public var bareLineFeeds: Int
    public var bareCarriageReturns: Int
    /// Lines longer than 1000 octets including their line end (RFC 5321 §4.5.3.1.6).
    public var longLines: Int
    public var longestLine: Int

    public init(bareLineFeeds: Int, bareCarriageReturns: Int, longLines: Int, longestLine: Int) {
        self.bareLineFeeds = bareLineFeeds
        self.bareCarriageReturns = bareCarriageReturns
        self.longLines = longLines
        self.longestLine = longestLine
    }

    public var note: String {
        "\(ContentShape.notePrefix)\(bareLineFeeds) bare <LF>, \(bareCarriageReturns) bare <CR>, "
            + "\(longLines) line\(longLines == 1 ? "" : "s") over 1000 octets (longest \(longestLine))"
    }

    /// The shape a note states; nil when `note` is not one.
    public init?(note: String) {
        guard note.hasPrefix(ContentShape.notePrefix) else { return nil }
        let numbers = note.split { !$0.isNumber }.compactMap { Int($0) }
        // 2 bare LF, 0 bare CR, 1 line, 1000 (the limit), longest
        guard numbers.count == 5 else { return nil }
        self.init(
            bareLineFeeds: numbers[0], bareCarriageReturns: numbers[1], longLines: numbers[2], longestLine: numbers[4])
    }
}
