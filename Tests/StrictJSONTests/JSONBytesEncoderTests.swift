import Foundation
import StrictJSON
import Testing

/// The encoder must give Foundation's bytes (sorted keys, unescaped slashes) for every shape mockmx writes,
/// so API responses and spool files stay as they were, byte for byte.
@Suite struct JSONBytesEncoderTests {
    struct Inner: Codable, Equatable {
        var b: Int
        var a: [String?]
    }

    struct Shape: Codable, Equatable {
        var text: String
        var count: Int
        var big: UInt64
        var negative: Int64
        var fraction: Double
        var whole: Double
        var flag: Bool
        var missing: String?
        var inner: Inner
        var list: [Inner]
        var map: [String: Int]
        var empty: [Int]
        var nested: [[Int]]
    }

    /// Writes `null` for absent values, as mockmx's shapes do.
    struct Nulls: Encodable {
        var a: String?
        var b: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(a, forKey: .a)
            try container.encode(b, forKey: .b)
        }

        enum CodingKeys: String, CodingKey { case a, b }
    }

    private func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    @Test func givesFoundationsBytes() throws {
        let strings = [
            "", "plain", "a/b\\c\"d", "tab\there\r\nnew", "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}", "é ☃ 𝄞", "\u{2028}",
            "zz", "Z", "aa", "a", "_", "10", "9",
        ]
        for text in strings {
            let shape = Shape(
                text: text, count: -42, big: .max, negative: .min, fraction: 0.336, whole: 5, flag: true,
                missing: nil, inner: Inner(b: 1, a: [text, nil]), list: [Inner(b: 2, a: [])],
                map: Dictionary(uniqueKeysWithValues: strings.enumerated().map { ($1, $0) }), empty: [],
                nested: [[1, 2], []])
            #expect(try JSONBytesEncoder().encode(shape) == foundation(shape), "\(text.debugDescription)")
        }
        for number in [0.0, -0.0, 1e-05, 123456789.125, 1e300, 0.1 + 0.2, -7] {
            #expect(try JSONBytesEncoder().encode([number]) == foundation([number]), "\(number)")
        }
        for value in [Nulls(a: nil, b: nil), Nulls(a: "x", b: 3)] {
            #expect(try JSONBytesEncoder().encode(value) == foundation(value))
        }
        #expect(try JSONBytesEncoder().encode("top") == foundation("top"))
        #expect(try JSONBytesEncoder().encode([String: [Int]]()) == foundation([String: [Int]]()))
    }

    @Test func readsBackAsTheSameValue() throws {
        let shape = Shape(
            text: "x", count: 1, big: 2, negative: -3, fraction: 2.5, whole: 4, flag: false, missing: "m",
            inner: Inner(b: 5, a: ["y"]), list: [], map: ["k": 1], empty: [], nested: [])
        #expect(try JSONDecoder().decode(Shape.self, from: Data(JSONBytesEncoder().encode(shape))) == shape)
    }

    @Test func aNumberJSONCannotHoldIsAnError() {
        #expect(throws: EncodingError.self) { try JSONBytesEncoder().encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONBytesEncoder().encode(["a": Double.infinity]) }
    }

    /// A fragment goes in as written, sorted among its siblings like any member; other encoders refuse it.
    @Test func aFragmentIsSplicedInAsItIs() throws {
        struct Page: Encodable {
            var items: [JSONFragment]
            var count: Int
        }
        let item = try JSONBytesEncoder().encode(Inner(b: 1, a: ["z"]))
        let page = Page(items: [JSONFragment(item), JSONFragment(item)], count: 2)
        let expected = #"{"count":2,"items":[{"a":["z"],"b":1},{"a":["z"],"b":1}]}"#
        #expect(try JSONBytesEncoder().encode(page) == Array(expected.utf8))
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(page) }
    }
}
