import Foundation
import MockMXServer
import MockMXVerdicts
import Testing

/// `GET /api/v1/verdicts`: the same judgment as `host.verdicts`, filtered, as JSON or JUnit; bad filters refused.
@Suite struct VerdictAPITests {
    private func hostWithOneDelivery() async throws -> APIHost {
        let api = try APIHost()
        _ = try api.deliver()
        #expect(await api.host.sessions.wait(forEnded: 1, timeout: .seconds(10)))
        return api
    }

    @Test func servesTheSummaryAndEveryVerdictFieldAsTheLibraryDoes() async throws {
        let api = try await hostWithOneDelivery()
        let body = try api.get("/api/v1/verdicts")
        #expect(body.status == 200)
        let object = try body.object()
        #expect(Set(object.keys) == ["summary", "verdicts", "cards"])
        // One client, one card listing every check: those one plain delivery does not exercise say why.
        let cards = try #require(object["cards"] as? [[String: Any]])
        #expect(cards.count == 1)
        let checks = try #require(cards.first?["checks"] as? [[String: Any]])
        #expect(checks.map { $0["check"] as? String } == VerdictCheck.allCases.map(\.rawValue))
        let ehlo = try #require(checks.first { $0["check"] as? String == "ehlo.fallback" })
        #expect(ehlo["result"] as? String == "not-exercised")
        #expect(ehlo["reason"] as? String == "the host never refused EHLO with 500 or 502")
        let cardSummary = try #require(cards.first?["summary"] as? [String: Int])
        #expect(cardSummary["fail"] == 0 && cardSummary["pass"]! > 0)
        #expect(cardSummary.values.reduce(0, +) == VerdictCheck.allCases.count)
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(Set(summary.keys) == ["pass", "fail", "pending", "inconclusive"])
        #expect(summary["fail"] == 0)
        let verdicts = try #require(object["verdicts"] as? [[String: Any]])
        #expect(verdicts.allSatisfy {
            Set($0.keys) == ["check", "result", "severity", "client", "sessions", "message", "evidence", "reference",
                             "explanation"]
        })
        let decoded = try JSONDecoder().decode(VerdictReport.self, from: body.body)
        #expect(decoded.verdicts.map(\.check) == api.host.verdicts.verdicts.map(\.check))
        #expect(summary["pass"] == decoded.verdicts.count)
    }

    @Test func filtersByCheckClientAndSession() async throws {
        let api = try await hostWithOneDelivery()
        let quit = try api.get("/api/v1/verdicts?check=session.quit").object()["verdicts"] as? [[String: Any]]
        #expect(quit?.count == 1)
        #expect(quit?.first?["check"] as? String == "session.quit")
        let session = try #require(api.host.sessions.all.first?.id)
        let bySession = try api.get("/api/v1/verdicts?session=\(session)").object()["verdicts"] as? [[String: Any]]
        #expect(bySession?.isEmpty == false)
        let otherClient = try api.get("/api/v1/verdicts?client=192.0.2.1").object()["verdicts"] as? [[String: Any]]
        #expect(otherClient?.isEmpty == true)
        let thisClient = try api.get("/api/v1/verdicts?client=127.0.0.1").object()["verdicts"] as? [[String: Any]]
        #expect(thisClient?.count == bySession?.count)
    }

    @Test func refusesBadFiltersWithJSONErrors() async throws {
        let api = try await hostWithOneDelivery()
        let check = try api.get("/api/v1/verdicts?check=sesion.quit")
        #expect(check.status == 400)
        #expect(try check.errorMessage().hasPrefix("unknown check 'sesion.quit'; checks: pipelining.synchronization"))
        let format = try api.get("/api/v1/verdicts?format=xml")
        #expect(format.status == 400)
        #expect(try format.errorMessage() == "unknown format 'xml'; formats: json, junit")
        let session = try api.get("/api/v1/verdicts?session=nosuch")
        #expect(session.status == 404)
        #expect(try session.errorMessage().hasPrefix("no session with id 'nosuch'"))
        let unknown = try api.get("/api/v1/verdicts?result=fail")
        #expect(unknown.status == 400)
        #expect(try unknown.errorMessage().hasPrefix("unknown query parameter 'result'"))
    }

    @Test func servesJUnitXML() async throws {
        let api = try await hostWithOneDelivery()
        let junit = try api.get("/api/v1/verdicts?format=junit")
        #expect(junit.status == 200)
        #expect(junit.headers["content-type"]?.hasPrefix("application/xml") == true)
        #expect(junit.text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>"))
        #expect(junit.text.contains("<testsuite package=\"mockmx\" id=\"0\" name=\"pipelining.synchronization\""))
        #expect(!junit.text.contains("<failure"))
    }
}
