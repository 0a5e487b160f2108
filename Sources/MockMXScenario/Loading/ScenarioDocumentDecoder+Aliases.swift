/// A budget on YAML alias expansion, checked on the text before Yams composes it.
///
/// Yams expands every alias into a copy of its anchored node and hashes each mapping key in full to find
/// duplicates, so 400 bytes of nested aliases used as a key ("billion laughs") cost seconds per level;
/// on the control API that time is taken from every SMTP session of the host. Yams exposes no event
/// stream to count with, so this bounds the expansion from the text: an upper bound, never an
/// underestimate, and exact enough that ordinary anchors (a reply reused by a few rules) stay far below.
extension ScenarioDocumentDecoder {
    /// How many bytes of text all aliases together may stand for.
    static let aliasExpansionBudget = 1 << 20

    /// The first alias at which the document's possible expansion passes ``aliasExpansionBudget``.
    ///
    /// Every `&name` and `*name` in the text counts as an anchor or alias, even inside quotes or comments:
    /// extra candidates only raise the bound. An alias stands for its anchor's node, which lies between the
    /// anchor and the first alias of that name after it (Yams registers an anchor when its node ends, so
    /// an alias inside the node can't refer to it). Where a name is anchored twice, which definition an
    /// alias means depends on nesting; the bound then takes everything from the first definition.
    static func aliasBeyondBudget(in yaml: String) -> (offset: Int, name: String)? {
        let bytes = Array(yaml.utf8)
        guard bytes.contains(UInt8(ascii: "*")) else { return nil }
        let tokens = aliasTokens(in: bytes)
        // For each anchor, where the first alias of its name after it is.
        var anchorEnds = [Int?](repeating: nil, count: tokens.count)
        var nextAlias: [ArraySlice<UInt8>: Int] = [:]
        for index in tokens.indices.reversed() {
            if tokens[index].isAlias {
                nextAlias[tokens[index].name] = tokens[index].offset
            } else {
                anchorEnds[index] = nextAlias[tokens[index].name]
            }
        }
        let cap = aliasExpansionBudget + 1
        var anchors: [ArraySlice<UInt8>: [Int]] = [:]  // name → indices of its anchor tokens
        // Aliases so far: offset, and the running sum of their expansions (for sums over a range).
        var aliasOffsets: [Int] = []
        var expansionSums: [Int] = [0]
        for (index, token) in tokens.enumerated() {
            guard token.isAlias else {
                anchors[token.name, default: []].append(index)
                continue
            }
            let definitions = anchors[token.name] ?? []
            var expansion = 0
            if let firstIndex = definitions.first {
                let first = tokens[firstIndex].offset
                let end = definitions.count == 1 ? anchorEnds[firstIndex] ?? token.offset : token.offset
                let inside = aliasOffsets.partitioningIndex { $0 > first }..<aliasOffsets.partitioningIndex { $0 >= end }
                expansion = min(cap, (end - first) + expansionSums[inside.upperBound] - expansionSums[inside.lowerBound])
            }
            aliasOffsets.append(token.offset)
            expansionSums.append(min(cap, expansionSums[expansionSums.count - 1] + expansion))
            if expansionSums[expansionSums.count - 1] >= cap {
                return (token.offset, "*" + String(decoding: token.name, as: UTF8.self))
            }
        }
        return nil
    }

    private struct AliasToken {
        var offset: Int
        var name: ArraySlice<UInt8>
        var isAlias: Bool
    }

    /// `&name` and `*name` wherever they occur; a name runs to a space, line break or flow indicator.
    private static func aliasTokens(in bytes: [UInt8]) -> [AliasToken] {
        var tokens: [AliasToken] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "&") || byte == UInt8(ascii: "*") else { continue }
            let start = index
            while index < bytes.count, !Self.endsAnchorName(bytes[index]) { index += 1 }
            if index > start {
                tokens.append(AliasToken(offset: start - 1, name: bytes[start..<index], isAlias: byte == UInt8(ascii: "*")))
            }
        }
        return tokens
    }

    private static func endsAnchorName(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
            UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            true
        default:
            false
        }
    }
}

extension Array where Element == Int {
    /// The index of the first element for which `predicate` holds, in an array where it holds for a suffix.
    fileprivate func partitioningIndex(where predicate: (Int) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
