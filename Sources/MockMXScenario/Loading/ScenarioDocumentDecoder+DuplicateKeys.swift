internal import Yams

/// Where a repeated key is repeated.
///
/// Yams refuses a mapping with a repeated key as a whole and gives only the position of the key's first
/// occurrence (`1:1` for a top-level key), while the mistake is usually the later one: a block pasted in
/// twice. So the first occurrence is renamed in the text, one character replaced by a private-use one so
/// that no line or column moves, and the document composed again: Yams then reports the next repetition,
/// or composes the whole tree, where every key carries its position.
extension ScenarioDocumentDecoder {
    /// Each round composes the whole document again. A document with more repeated keys than this is
    /// reported as Yams found it, at the first occurrence.
    static let duplicateKeyRounds = 16

    struct KeyRepetition: Equatable {
        var key: String
        var line: Int
        var column: Int
        var first: Position
    }

    struct Position: Hashable {
        var line: Int
        var column: Int
    }

    enum DuplicateKeySearch {
        /// Every repetition of a key in the document, each with its mapping's first occurrence.
        case found([KeyRepetition])
        /// Past the repetitions, the parser met this error; where they are remains unknown.
        case stopped(YamlError)
        /// A key Yams reports in a form the text does not show as such (an alias, a tag, an escape).
        case notFound
    }

    static func searchRepeatedKeys(in yaml: String, firstReported key: String, at mark: Mark) -> DuplicateKeySearch {
        var scalars = Array(yaml.unicodeScalars)
        var renamed: [Position: String] = [:]
        var next = (key: key, position: Position(line: mark.line, column: mark.column))
        for round in 0..<duplicateKeyRounds {
            guard let index = scalarIndex(line: next.position.line, column: next.position.column, in: scalars),
                  let sentinel = Unicode.Scalar(0xE000 + round),
                  rename(&scalars, keyAt: index, key: next.key, to: sentinel)
            else { return .notFound }
            renamed[next.position] = next.key
            do {
                guard let root = try Yams.compose(yaml: String(String.UnicodeScalarView(scalars))) else {
                    return .notFound
                }
                var repetitions: [KeyRepetition] = []
                collectRepetitions(in: root, renamed: renamed, into: &repetitions)
                return repetitions.isEmpty ? .notFound : .found(repetitions)
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard let key = duplicates.first else { return .notFound }
                next = (key, Position(line: context.mark.line, column: context.mark.column))
            } catch {
                return (error as? YamlError).map(DuplicateKeySearch.stopped) ?? .notFound
            }
        }
        return .notFound
    }

    /// Replaces the first character of the key that starts at `index`, quoted or plain, when the text
    /// there spells `key`. An escape (`"\x41"`, `'''a'`) is left alone: replacing its first character
    /// would change what follows it.
    private static func rename(
        _ scalars: inout [Unicode.Scalar], keyAt index: Int, key: String, to sentinel: Unicode.Scalar
    ) -> Bool {
        let quote = scalars[index] == "\"" || scalars[index] == "'" ? scalars[index] : nil
        let start = quote == nil ? index : index + 1
        guard start < scalars.count, scalars[start] == key.unicodeScalars.first,
              scalars[start] != "\\", scalars[start] != "'" || quote == nil
        else { return false }
        scalars[start] = sentinel
        return true
    }

    /// Every mapping holding a renamed key: its keys grouped by their text as written, each after the first
    /// a repetition. A mapping reached through several aliases is one mapping, reported once.
    private static func collectRepetitions(
        in node: Node, renamed: [Position: String], into found: inout [KeyRepetition]
    ) {
        switch node {
        case let .mapping(mapping):
            var firstOccurrence: [String: Position] = [:]
            for (key, value) in mapping {
                if let mark = key.mark {
                    let position = Position(line: mark.line, column: mark.column)
                    if let text = renamed[position] ?? key.string {
                        if let first = firstOccurrence[text] {
                            let repetition = KeyRepetition(
                                key: text, line: mark.line, column: mark.column, first: first)
                            if !found.contains(repetition) { found.append(repetition) }
                        } else {
                            firstOccurrence[text] = position
                        }
                    }
                }
                collectRepetitions(in: value, renamed: renamed, into: &found)
            }
        case let .sequence(sequence):
            for item in sequence { collectRepetitions(in: item, renamed: renamed, into: &found) }
        case .scalar, .alias:
            break
        }
    }
}
