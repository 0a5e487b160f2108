/// The retained items of a store, oldest first: appends at the back and drops from the front in O(1), and
/// reaches an item by its position from the oldest in O(1), so a store can drop by count or by bytes and
/// update the item a session is still writing. A ring over one array that doubles when full.
struct RetentionQueue<Element> {
    private var storage: [Element?] = []
    /// Index in `storage` of the oldest element.
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[slot(count)] = element
        count += 1
    }

    /// Removes and returns the oldest element.
    @discardableResult
    mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = head + 1 == storage.count ? 0 : head + 1
        count -= 1
        return element
    }

    /// The element `offset` places after the oldest.
    subscript(offset: Int) -> Element {
        get { storage[slot(offset)]! }
        set { storage[slot(offset)] = newValue }
    }

    /// Oldest first.
    var elements: [Element] {
        (0..<count).map { self[$0] }
    }

    /// The oldest element that satisfies `predicate`.
    func first(where predicate: (Element) -> Bool) -> Element? {
        for offset in 0..<count where predicate(self[offset]) { return self[offset] }
        return nil
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
        count = 0
    }

    /// Removes the elements that satisfy `predicate`, keeping the rest oldest first.
    mutating func removeAll(where predicate: (Element) -> Bool) {
        let kept = elements.filter { !predicate($0) }
        removeAll()
        for element in kept { append(element) }
    }

    private func slot(_ offset: Int) -> Int {
        let index = head + offset
        return index < storage.count ? index : index - storage.count
    }

    /// Lays the elements out oldest first in twice the room.
    private mutating func grow() {
        var grown = [Element?](repeating: nil, count: Swift.max(16, storage.count * 2))
        // Moved, not copied: a copy would retain every reference in every element, and the release follow.
        for offset in 0..<count { swap(&grown[offset], &storage[slot(offset)]) }
        storage = grown
        head = 0
    }
}
