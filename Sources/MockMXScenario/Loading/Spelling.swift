/// "Did you mean …?" for typos in keys, events, actions and enumerated values (and, package-wide, in the
/// CLI's environment variables).
package enum Spelling {
    /// The largest edit distance still offered as a suggestion: catches a dropped, doubled or swapped
    /// letter (`rcpr`, `withold`, `hostnme`) without proposing unrelated words.
    static let suggestionDistance = 2

    /// Levenshtein distance over Unicode scalars, ignoring ASCII case.
    static func distance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs.lowercased().unicodeScalars)
        let right = Array(rhs.lowercased().unicodeScalars)
        if left.isEmpty { return right.count }
        if right.isEmpty { return left.count }
        var previous = Array(0...right.count)
        var current = Array(repeating: 0, count: right.count + 1)
        for (leftIndex, leftScalar) in left.enumerated() {
            current[0] = leftIndex + 1
            for (rightIndex, rightScalar) in right.enumerated() {
                let substitution = previous[rightIndex] + (leftScalar == rightScalar ? 0 : 1)
                current[rightIndex + 1] = min(substitution, previous[rightIndex + 1] + 1, current[rightIndex] + 1)
            }
            swap(&previous, &current)
        }
        return previous[right.count]
    }

    /// The closest candidate within ``suggestionDistance``, the earliest on a tie; nil when none is close.
    package static func suggestion(for word: String, among candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = distance(word, candidate)
            if distance <= suggestionDistance, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// `" (did you mean 'x'?)"`, or the empty string when nothing is close.
    package static func didYouMean(_ word: String, among candidates: [String]) -> String {
        suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
