/// `Encodable` to compact JSON bytes with sorted keys and unescaped slashes: the same bytes as Foundation's
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` for the shapes mockmx writes, at a fraction of
/// its cost. Foundation builds a tree of boxed values, checks every value's type dynamically for `Date`,
/// `URL` and `Data`, and sorts keys as `String`s; writing a session file or an API page with it took most of
/// the spool thread's time. Here values are written as they come, and an object's members are sorted by
/// their keys' UTF-8 bytes when it closes. `Date` and `Data` encode as their own `Encodable` conformances
/// say (a number, an array), not with Foundation's strategies: mockmx's shapes carry dates as strings.
public struct JSONBytesEncoder {
    public init() {}

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try root.write(to: &out)
        return out
    }
}

/// JSON text written by ``JSONBytesEncoder`` earlier, spliced in as it is: a value that is listed again and
/// again (a message in the API's list) is encoded once and cached as a fragment. Only ``JSONBytesEncoder``
/// can write one; another encoder gets an error.
public struct JSONFragment: Encodable, Sendable {
    public let bytes: [UInt8]

    /// `bytes` must be one complete JSON value, as ``JSONBytesEncoder/encode(_:)`` returns.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        guard let encoder = encoder as? NodeEncoder else {
            throw EncodingError.invalidValue(
                self, .init(codingPath: encoder.codingPath, debugDescription: "a JSON fragment needs JSONBytesEncoder"))
        }
        encoder.node.kind = .scalar(bytes)
    }
}

/// One value being encoded; its kind is fixed by the first container asked of it.
private final class Node {
    enum Kind {
        case empty
        case scalar([UInt8])
        case object([(key: String, value: Node)])
        case array([Node])
    }

    var kind = Kind.empty

    func write(to out: inout [UInt8]) throws {
        switch kind {
        case .empty:
            // Foundation encodes a value that asked for no container as an empty object.
            out += "{}".utf8
        case .scalar(let bytes):
            out += bytes
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            var last: String?
            var first = true
            for member in sorted where member.key != last {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                last = member.key
                Node.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                try member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += #"\u00"#.utf8
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func string(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count + 2)
        writeString(string, to: &out)
        return out
    }

    static func number(_ value: Double, codingPath: [any CodingKey]) throws -> [UInt8] {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return Array(text.utf8)
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.kind {} else { node.kind = .object([]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.kind {} else { node.kind = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// The scalar encodings all three containers share.
private protocol ScalarWriting {
    var codingPath: [any CodingKey] { get }
    mutating func put(_ bytes: [UInt8], key: (any CodingKey)?) throws
    mutating func child(key: (any CodingKey)?) -> Node
}

extension ScalarWriting {
    mutating func putNil(_ key: (any CodingKey)?) throws { try put(Array("null".utf8), key: key) }
    mutating func put(_ value: Bool, _ key: (any CodingKey)?) throws {
        try put(Array((value ? "true" : "false").utf8), key: key)
    }
    mutating func put(_ value: String, _ key: (any CodingKey)?) throws { try put(Node.string(value), key: key) }
    mutating func putInteger(_ value: some BinaryInteger, _ key: (any CodingKey)?) throws {
        try put(Array(String(value).utf8), key: key)
    }
    mutating func put(_ value: Double, _ key: (any CodingKey)?) throws {
        try put(Node.number(value, codingPath: codingPath + (key.map { [$0] } ?? [])), key: key)
    }
    mutating func put(_ value: some Encodable, _ key: (any CodingKey)?) throws {
        let node = child(key: key)
        try value.encode(to: NodeEncoder(node: node, codingPath: codingPath + (key.map { [$0] } ?? [])))
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol, ScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func put(_ bytes: [UInt8], key: (any CodingKey)?) throws {
        let leaf = Node()
        leaf.kind = .scalar(bytes)
        append(leaf, key!)
    }

    mutating func child(key: (any CodingKey)?) -> Node {
        let child = Node()
        append(child, key!)
        return child
    }

    private func append(_ value: Node, _ key: any CodingKey) {
        guard case .object(var members) = node.kind else { return }
        node.kind = .empty  // keeps `members` uniquely referenced while it grows
        members.append((key.stringValue, value))
        node.kind = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws { try putNil(key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try put(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try put(Double(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try putInteger(value, key) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { try put(value, key) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: child(key: key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: child(key: key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: child(key: SuperKey()), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: child(key: key), codingPath: codingPath + [key])
    }
}

private struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer, KeylessScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    var count: Int {
        guard case .array(let elements) = node.kind else { return 0 }
        return elements.count
    }

    mutating func put(_ bytes: [UInt8], key: (any CodingKey)?) throws {
        let leaf = Node()
        leaf.kind = .scalar(bytes)
        append(leaf)
    }

    mutating func child(key: (any CodingKey)?) -> Node {
        let child = Node()
        append(child)
        return child
    }

    private func append(_ value: Node) {
        guard case .array(var elements) = node.kind else { return }
        node.kind = .empty  // keeps `elements` uniquely referenced while it grows
        elements.append(value)
        node.kind = .array(elements)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: child(key: nil), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: child(key: nil), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: child(key: nil), codingPath: codingPath)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer, KeylessScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func put(_ bytes: [UInt8], key: (any CodingKey)?) throws {
        node.kind = .scalar(bytes)
    }

    mutating func child(key: (any CodingKey)?) -> Node { node }
}

/// The unkeyed and the single-value container take the same keyless calls.
private protocol KeylessScalarWriting: ScalarWriting {}

extension KeylessScalarWriting {
    mutating func encodeNil() throws { try putNil(nil) }
    mutating func encode(_ value: Bool) throws { try put(value, nil) }
    mutating func encode(_ value: String) throws { try put(value, nil) }
    mutating func encode(_ value: Double) throws { try put(value, nil) }
    mutating func encode(_ value: Float) throws { try put(Double(value), nil) }
    mutating func encode(_ value: Int) throws { try putInteger(value, nil) }
    mutating func encode(_ value: Int8) throws { try putInteger(value, nil) }
    mutating func encode(_ value: Int16) throws { try putInteger(value, nil) }
    mutating func encode(_ value: Int32) throws { try putInteger(value, nil) }
    mutating func encode(_ value: Int64) throws { try putInteger(value, nil) }
    mutating func encode(_ value: UInt) throws { try putInteger(value, nil) }
    mutating func encode(_ value: UInt8) throws { try putInteger(value, nil) }
    mutating func encode(_ value: UInt16) throws { try putInteger(value, nil) }
    mutating func encode(_ value: UInt32) throws { try putInteger(value, nil) }
    mutating func encode(_ value: UInt64) throws { try putInteger(value, nil) }
    mutating func encode(_ value: some Encodable) throws { try put(value, nil) }
}
