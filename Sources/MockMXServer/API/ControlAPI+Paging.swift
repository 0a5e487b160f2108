/// `?start=&limit=` on every list, as CONVENTIONS sets out: `start` counts from the oldest retained item (0 by
/// default), `limit` caps the page (none: to the end); the answer carries `total` (matching retained items),
/// `start` and `count` (items in this page).
struct ListPage {
    var start = 0
    var limit: Int?

    /// The page a request asks for, or the `400` that says what is wrong with it.
    static func requested(by request: APIRequest) -> Result<ListPage, APIResponseError> {
        var page = ListPage()
        for name in ["start", "limit"] {
            guard let text = request.query[name] else { continue }
            guard let value = Int(text), value >= 0 else {
                let message = "\(name) must be a whole number, 0 or more, found '\(text)'"
                return .failure(APIResponseError(response: .error(400, message)))
            }
            if name == "start" { page.start = value } else { page.limit = value }
        }
        return .success(page)
    }

    /// The positions of this page among `count` items.
    func range(in count: Int) -> Range<Int> {
        let first = min(start, count)
        return first..<(limit.map { min(count, first + $0) } ?? count)
    }
}

/// A `400` carried through a `Result`.
struct APIResponseError: Error {
    var response: APIResponse
}
