import Foundation

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
        let page = queries[range].map {
            DNSQueryList.Query(
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
    /// `rcode` is `null` when no reply was sent (a `no-answer` domain).
    struct Query: Encodable {
        var time: String
        var client: String
        var name: String
        var type: String
        var rcode: String?
        var answers: [String]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            try container.encode(client, forKey: .client)
            try container.encode(name, forKey: .name)
            try container.encode(type, forKey: .type)
            try container.encode(rcode, forKey: .rcode)
            try container.encode(answers, forKey: .answers)
        }

        private enum CodingKeys: String, CodingKey {
            case time, client, name, type, rcode, answers
        }
    }

    var total: Int
    var start: Int
    var count: Int
    var accepted: Int
    var dropped: Int
    var queries: [Query]
}
