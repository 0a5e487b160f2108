import Foundation
import MockMXVerdicts

/// `GET /api/v1/dns`: the questions the DNS responder was asked, in time order, so a test can line them up with
/// the sessions (`startedAt`) and see which MX a sender looked up before it connected.
extension ControlAPI {
    func listDNSQueries(_ request: APIRequest) -> APIResponse {
        let requested: ListPage
        switch ListPage.requested(by: request) {
        case .success(let page): requested = page
        case .failure(let error): return error.response
        }
        let queries = runtime.dnsQueries.all
        let accepted = runtime.dnsQueries.totalAccepted
        let range = requested.range(in: queries.count)
        // The verdicts' shape, with the millisecond times every other list shows.
        let page = queries[range].map {
            DNSLookup(
                time: ISO8601.string($0.time), client: $0.client, name: $0.name, type: $0.type,
                rcode: $0.responseCode, answers: $0.answers)
        }
        return .json(DNSQueryList(
            total: queries.count, start: range.lowerBound, count: page.count, accepted: accepted,
            dropped: accepted - queries.count, queries: page))
    }
}

/// `GET /api/v1/dns`, paged like every list: `total` retained, `accepted` since start or reset, `dropped` by
/// retention.
struct DNSQueryList: Encodable {
    var total: Int
    var start: Int
    var count: Int
    var accepted: Int
    var dropped: Int
    /// `rcode` is `null` when no reply was sent (a `no-answer` domain).
    var queries: [DNSLookup]
}
