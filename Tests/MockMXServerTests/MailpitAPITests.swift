import Foundation
import MockMXScenario
import MockMXServer
import Testing

/// The Mailpit-compatible API on its own listener, driven with the real `curl`: Mailpit's shapes and status
/// codes, its bad-input answers, and chaos triggers as rules ahead of each listener's own.
@Suite struct MailpitAPITests {
    final class MailpitHost {
        let host: MockMXHost
        let smtpPort: Int
        let mailpit: String
        let control: String

        init(scenario: Scenario = .defaultPersona, token: String? = nil) throws {
            var configuration = HostConfiguration(
                listeners: [ListenerConfiguration(address: "127.0.0.1:0", scenario: scenario)],
                shutdownGraceMilliseconds: 1_000, apiAddress: "127.0.0.1:0", apiToken: token)
            configuration.mailpitAPIAddress = "127.0.0.1:0"
            host = try MockMXHost(configuration)
            smtpPort = try host.start()[0].port
            mailpit = try #require(host.mailpitAPI).url
            control = try #require(host.api).url
        }

        deinit { host.shutdown(graceMilliseconds: 0) }

        func curl(_ path: String, headers: [String] = []) throws -> Curl.Result {
            try curl("GET", path, headers: headers)
        }

        func curl(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) throws
            -> Curl.Result
        {
            var arguments = ["-X", method] + headers.flatMap { ["-H", $0] }
            if body != nil { arguments += ["--data-binary", "@-", "-H", "Content-Type: application/json"] }
            return try Curl.start(arguments + ["\(mailpit)\(path)"], input: body.map { Array($0.utf8) }).finish()
        }

        func deliver(_ content: String, to recipients: [String] = ["bob@example.org"]) throws -> String {
            try APIHost.deliver(port: smtpPort, to: recipients, content: Array(content.replacingOccurrences(
                of: "\n", with: "\r\n").utf8))
        }
    }

    static let multipart = """
        From: =?UTF-8?Q?Ren=C3=A9_Doe?= <rene@example.com>
        To: "Bob, the Builder" <bob@example.org>
        Cc: carol@example.org
        Subject: =?UTF-8?B?UmVwb3J0IMOpdMOp?=
        Message-ID: <r1@example.com>
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain; charset=utf-8

        See the report.
        --b
        Content-Type: text/csv; name=report.csv
        Content-Disposition: attachment; filename=report.csv

        a,b
        --b--

        """

    /// The list without a search pages newest first, reading only the page; it agrees with a search every
    /// message matches.
    @Test func theListPagesNewestFirstAndAgreesWithASearch() throws {
        let host = try MailpitHost()
        let ids = try (0..<5).map { try host.deliver("Subject: m\($0)\n\nbody\n") }
        _ = try host.curl("/api/v1/message/\(ids[3])")   // read
        func page(_ query: String) throws -> (ids: [String], fields: [String: Int]) {
            let list = try host.curl(query).object()
            let listed = (list["messages"] as? [[String: Any]] ?? []).compactMap { $0["ID"] as? String }
            let numbers = ["total", "unread", "count", "messages_count", "messages_unread", "start"]
            return (listed, Dictionary(uniqueKeysWithValues: numbers.map { ($0, list[$0] as? Int ?? -1) }))
        }
        let first = try page("/api/v1/messages?start=0&limit=2")
        #expect(first.ids == [ids[4], ids[3]])
        #expect(first.fields == ["total": 5, "unread": 4, "count": 2, "messages_count": 5, "messages_unread": 4,
                                 "start": 0])
        #expect(try page("/api/v1/messages?start=3&limit=10").ids == [ids[1], ids[0]])
        #expect(try page("/api/v1/messages?start=9").ids.isEmpty)
        let searched = try page("/api/v1/search?query=body&start=1&limit=3")
        let listed = try page("/api/v1/messages?start=1&limit=3")
        #expect(searched.ids == listed.ids && searched.fields == listed.fields)
    }

    @Test func listsAndShowsMessagesWithMailpitsFieldsAndLatest() throws {
        let host = try MailpitHost()
        let id = try host.deliver(Self.multipart, to: ["bob@example.org", "carol@example.org", "dan@example.org"])
        _ = try host.deliver("Subject: second\nDate: Tue, 1 Dec 2026 10:00:00 +0100\n\nplain\n")

        let list = try host.curl("/api/v1/messages?limit=1&start=1").object()
        #expect(list["total"] as? Int == 2 && list["count"] as? Int == 1 && list["start"] as? Int == 1)
        #expect(list["messages_count"] as? Int == 2 && list["unread"] as? Int == 2)
        let summary = try #require((list["messages"] as? [[String: Any]])?.first)
        #expect(Set(summary.keys) == [
            "ID", "MessageID", "Read", "From", "To", "Cc", "Bcc", "ReplyTo", "Subject", "Created", "Username", "Tags",
            "Size", "Attachments", "Snippet",
        ])
        #expect(summary["ID"] as? String == id)
        #expect(summary["Subject"] as? String == "Report été")
        #expect((summary["From"] as? [String: String]) == ["Name": "René Doe", "Address": "rene@example.com"])
        #expect((summary["To"] as? [[String: String]]) == [["Name": "Bob, the Builder", "Address": "bob@example.org"]])
        #expect((summary["Bcc"] as? [[String: String]]) == [["Name": "", "Address": "dan@example.org"]])
        #expect(summary["Attachments"] as? Int == 1 && summary["Snippet"] as? String == "See the report.")

        let message = try host.curl("/api/v1/message/\(id)").object()
        #expect(message["Text"] as? String == "See the report.")
        #expect(message["MessageID"] as? String == "r1@example.com")
        let attachment = try #require((message["Attachments"] as? [[String: Any]])?.first)
        #expect(attachment["FileName"] as? String == "report.csv" && attachment["PartID"] as? String == "2")
        // Digests of "a,b", as `printf 'a,b' | sha256sum` prints them.
        let checksums = attachment["Checksums"] as? [String: String]
        #expect(checksums?["SHA256"] == "1eb7c54d52831bbfe8942af0b1c56b7409523a59ed6ca99c1174fef7eb32c1b5")
        #expect(checksums?["MD5"] == "b345e1dc09f20fdefdea469f09167892" && checksums?["SHA1"]?.count == 40)
        #expect(try host.curl("/api/v1/message/\(id)/part/2").text == "a,b")
        #expect(try host.curl("/api/v1/messages").object()["unread"] as? Int == 1)

        let latest = try host.curl("/api/v1/message/latest").object()
        #expect(latest["Subject"] as? String == "second")
        #expect(latest["Date"] as? String == "2026-12-01T10:00:00.000+01:00")
        let latestReport = try host.curl("/api/v1/message/latest?query=subject:report").object()
        #expect(latestReport["ID"] as? String == id)
        let headers = try host.curl("/api/v1/message/\(id)/headers").object()
        #expect(headers["Message-Id"] as? [String] == ["<r1@example.com>"])
        let raw = try host.curl("/api/v1/message/\(id)/raw")
        #expect(raw.headers["content-type"] == "text/plain; charset=utf-8" && raw.text.hasPrefix("From: =?UTF-8?Q?"))
    }

    @Test func answersUnknownIDsBadBodiesAndBadSearchesAsMailpitDoes() throws {
        let host = try MailpitHost()
        for path in ["/api/v1/message/nope", "/api/v1/message/nope/raw", "/api/v1/message/nope/headers", "/nowhere"] {
            let missing = try host.curl(path)
            #expect(missing.status == 404 && missing.text == "404 page not found", "\(path)")
        }
        let noLatest = try host.curl("/api/v1/message/latest")
        #expect(noLatest.status == 404 && noLatest.text == "Message not found")
        let id = try host.deliver("Subject: x\n\nx\n")
        #expect(try host.curl("/api/v1/message/\(id)/part/9").status == 404)

        let emptySearch = try host.curl("/api/v1/search?query=%20")
        #expect(emptySearch.status == 400 && emptySearch.text == "Error: no search query")
        let dates = try host.curl("/api/v1/search?query=after:2024-01-01")
        #expect(dates.status == 400 && dates.text == "mockmx does not support 'after:' searches")

        let badChaos = try host.curl("PUT", "/api/v1/chaos", body: "{\"Sender\": ")
        #expect(badChaos.status == 400 && badChaos.text.hasPrefix("invalid JSON"))
        let wrongType = try host.curl("PUT", "/api/v1/chaos", body: #"{"Sender": {"Probability": "all"}}"#)
        #expect(wrongType.status == 400 && wrongType.text.hasPrefix("wrong type for Sender.Probability"))
        let badCode = try host.curl("PUT", "/api/v1/chaos", body: #"{"Recipient": {"ErrorCode": 250}}"#)
        #expect(badCode.status == 400 && badCode.text == "error code must be between 400 and 599")
        // A refused body changes nothing.
        #expect(try host.curl("/api/v1/chaos").object()["Recipient"] as? [String: Int]
            == ["ErrorCode": 451, "Probability": 0])
        let badRead = try host.curl("PUT", "/api/v1/messages", body: "[1]")
        #expect(badRead.status == 400)
        let both = try host.curl("PUT", "/api/v1/messages", body: #"{"Read": true, "IDs": ["a"], "Search": "x"}"#)
        #expect(both.status == 400 && both.text == "You may specify either IDs or a search query, not both")

        let wrongMethod = try host.curl("POST", "/api/v1/messages")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "GET, HEAD, PUT, DELETE")
        #expect(try host.curl("/livez").status == 200 && host.curl("/readyz").status == 200)
    }

    @Test func searchesAndDeletesByIDSearchOrAll() throws {
        let host = try MailpitHost()
        let invoice = try host.deliver("From: Shop <shop@example.com>\nTo: carol@example.org\nSubject: Invoice 42\n\nPay.\n")
        let news = try host.deliver("From: news@example.com\nSubject: News\n\nHello world\n")
        let other = try host.deliver("Subject: Other\n\nnothing\n")
        func ids(_ query: String) throws -> [String] {
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
            let found = try host.curl("/api/v1/search?query=\(encoded)").object()
            return (found["messages"] as? [[String: Any]])?.compactMap { $0["ID"] as? String } ?? []
        }
        #expect(try ids("from:shop") == [invoice])
        #expect(try ids("to:carol subject:invoice") == [invoice])
        #expect(try ids("\"hello world\"") == [news])
        #expect(try ids("-subject:invoice") == [other, news])
        // A `+` in the query is a space, as Go reads a form.
        #expect(try host.curl("/api/v1/search?query=pay.+invoice").object()["messages_count"] as? Int == 1)

        #expect(try host.curl("DELETE", "/api/v1/search?query=subject:news").text == "ok")
        #expect(try host.curl("DELETE", "/api/v1/messages", body: #"{"IDs": ["\#(invoice)", "unknown"]}"#).text == "ok")
        let left = try host.curl("/api/v1/messages").object()
        #expect((left["messages"] as? [[String: Any]])?.compactMap { $0["ID"] as? String } == [other])
        // No IDs, or a body that is not such JSON, deletes everything — Mailpit's rule.
        _ = try host.curl("DELETE", "/api/v1/messages", body: "ids=\(other)")
        #expect(try host.curl("/api/v1/info").object()["Messages"] as? Int == 0)
        #expect((try host.curl("/api/v1/info").object()["RuntimeStats"] as? [String: Any])?["MessagesDeleted"] as? Int == 3)
    }

    @Test func chaosRulesGoAheadOfTheScenarioStaySeededAndResetClearsThem() throws {
        let host = try MailpitHost(scenario: ScenarioLoader.load(yaml: """
            seed: 3
            rules:
              - on: rcpt
                when: { args: "<blocked@.*>" }
                do: { reply: "550 5.1.1 no such user" }
            """, file: "own.yaml"))
        func rcptReplies(_ count: Int) throws -> [String] {
            let client = try RawClient(port: host.smtpPort)
            _ = try client.reply()
            try client.send("EHLO client.example\r\n")
            _ = try client.reply()
            try client.send("MAIL FROM:<a@example.com>\r\n")
            _ = try client.reply()
            var replies: [String] = []
            for _ in 0..<count {
                try client.send("RCPT TO:<b@example.org>\r\n")
                replies.append(try client.replyLine())
            }
            return replies
        }
        let set = try host.curl("PUT", "/api/v1/chaos", body: #"{"Recipient": {"ErrorCode": 452, "Probability": 50}}"#)
        #expect(try set.object()["Recipient"] as? [String: Int] == ["ErrorCode": 452, "Probability": 50])
        let first = try rcptReplies(20)
        #expect(first.contains("452 Chaos recipient error") && first.contains { $0.hasPrefix("250") })
        // Setting the same triggers again starts the seeded generator afresh: the same failures.
        _ = try host.curl("PUT", "/api/v1/chaos", body: #"{"Recipient": {"ErrorCode": 452, "Probability": 50}}"#)
        #expect(try rcptReplies(20) == first)

        // The scenario's own rule still answers where chaos does not fire first.
        _ = try host.curl("PUT", "/api/v1/chaos", body: #"{"Sender": {"Probability": 0}}"#)
        let client = try RawClient(port: host.smtpPort)
        _ = try client.reply()
        try client.send("HELO c\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<a@example.com>\r\n")
        _ = try client.reply()
        try client.send("RCPT TO:<blocked@example.org>\r\n")
        #expect(try client.replyLine() == "550 5.1.1 no such user")

        _ = try host.curl("PUT", "/api/v1/chaos", body: #"{"Sender": {"Probability": 100}}"#)
        let refused = try RawClient(port: host.smtpPort)
        _ = try refused.reply()
        try refused.send("HELO c\r\n")
        _ = try refused.reply()
        try refused.send("MAIL FROM:<a@example.com>\r\n")
        #expect(try refused.replyLine() == "451 Chaos sender error")
        // A scenario switched through the control API plays with the chaos rules still in front.
        let swap = try Curl.run([
            "-X", "PUT", "\(host.control)/api/v1/listeners/\(host.smtpPort)/scenario?name=accept-all",
        ])
        #expect(swap.status == 200)
        let afterSwap = try RawClient(port: host.smtpPort)
        _ = try afterSwap.reply()
        try afterSwap.send("HELO c\r\n")
        _ = try afterSwap.reply()
        try afterSwap.send("MAIL FROM:<a@example.com>\r\n")
        #expect(try afterSwap.replyLine() == "451 Chaos sender error")
        let reset = try Curl.run(["-X", "POST", "\(host.control)/api/v1/reset?scenarios=keep"])
        #expect(reset.status == 200)
        #expect(try host.curl("/api/v1/chaos").object()["Sender"] as? [String: Int] == ["ErrorCode": 451, "Probability": 0])
        #expect(try rcptReplies(1) == ["250 2.1.5 Ok"])
    }

    @Test func theAPITokenIsAcceptedAsBearerOrBasicPasswordButTheProbesAreOpen() throws {
        let host = try MailpitHost(token: "s3cret")
        let refused = try host.curl("/api/v1/messages")
        #expect(refused.status == 401 && refused.headers["www-authenticate"] == "Basic realm=\"Login\"")
        #expect(try host.curl("/api/v1/messages", headers: ["Authorization: Bearer s3cret"]).status == 200)
        let basic = Data("anyone:s3cret".utf8).base64EncodedString()
        #expect(try host.curl("/api/v1/info", headers: ["Authorization: Basic \(basic)"]).status == 200)
        let wrong = Data("anyone:guess".utf8).base64EncodedString()
        #expect(try host.curl("/api/v1/info", headers: ["Authorization: Basic \(wrong)"]).status == 401)
        #expect(try host.curl("/livez").status == 200 && host.curl("/readyz").status == 200)
    }
}
