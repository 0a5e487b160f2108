import Foundation
import MockMXScenario
import SMTPProtocol
import Testing

@testable import MockMXServer

/// Memory bounded by bytes as well as count (issue 21): the oldest messages and sessions go first, a message
/// larger than the whole budget is kept on disk only with a spool and refused with `552` without one, and
/// the API and `/metrics` say what was dropped.
@Suite struct RetentionTests {
    static func message(_ id: String, bytes: Int, blob: Int = 0) -> StoredMessage {
        let xexch50 = blob > 0 ? XEXCH50Blob(bytes: .init(repeating: 1, count: blob), recipientArgument: 2) : nil
        var message = MessageStoreTests.message(xexch50: xexch50)
        message.id = id
        message.content = Array(repeating: UInt8(ascii: "x"), count: bytes)
        return message
    }

    private static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-retention-\(UUID())").path
    }

    // MARK: - The queue and the stores, fed values

    @Test func theQueueDropsFromTheFrontAndReachesEveryPlaceAcrossItsWrap() {
        var queue = RetentionQueue<Int>()
        for value in 0..<20 { queue.append(value) }
        for expected in 0..<15 { #expect(queue.removeFirst() == expected) }
        for value in 20..<40 { queue.append(value) }
        #expect(queue.count == 25)
        #expect(queue.elements == Array(15..<40))
        queue[3] = -1
        #expect(queue[3] == -1 && queue[4] == 19)
        #expect(queue.first { $0 > 30 } == 31)
        queue.removeAll()
        #expect(queue.isEmpty && queue.removeFirst() == nil)
    }

    @Test func theByteBudgetDropsTheOldestMessagesAndCountsThem() throws {
        let store = try MessageStore(retention: 100, byteBudget: 10_000, spoolDirectory: nil)
        for number in 1...5 { try store.store(RetentionTests.message("M\(number)", bytes: 3_000)) }
        #expect(store.all.map(\.id) == ["M3", "M4", "M5"])
        #expect(store.totalAccepted == 5 && store.totalDropped == 2)
        // What the buffers take: at least the bytes, a little more where the allocator rounds up.
        #expect(store.totalRetainedBytes == store.all.map(\.retainedBytes).reduce(0, +))
        #expect((9_000...10_000).contains(store.totalRetainedBytes))
        // A blob counts too.
        try store.store(RetentionTests.message("M6", bytes: 1_000, blob: 2_000))
        #expect(store.all.map(\.id) == ["M4", "M5", "M6"])
        #expect((9_000...10_000).contains(store.totalRetainedBytes))
        store.removeAll()
        #expect(store.totalRetainedBytes == 0 && store.totalDropped == 0)
    }

    @Test func aMessageJustUnderTheBudgetInALargerBufferIsCompactedAndKept() throws {
        let store = try MessageStore(retention: 100, byteBudget: 1_000, spoolDirectory: nil)
        var message = RetentionTests.message("M1", bytes: 900)
        message.content.reserveCapacity(4_000)
        try store.store(message)
        #expect(store.all.map(\.id) == ["M1"] && store.totalDropped == 0)
        #expect((900...1_000).contains(store.totalRetainedBytes) && store.all[0].content == message.content)
    }

    @Test func theCountBoundStillHoldsUnderTheByteBudget() throws {
        let store = try MessageStore(retention: 2, byteBudget: 1 << 20, spoolDirectory: nil)
        for number in 1...3 { try store.store(RetentionTests.message("M\(number)", bytes: 10)) }
        #expect(store.all.map(\.id) == ["M2", "M3"] && store.totalDropped == 1)
    }

    @Test func withoutASpoolAMessageLargerThanTheBudgetIsRefused552AndNothingIsDropped() throws {
        let store = try MessageStore(retention: 100, byteBudget: 1_000, spoolDirectory: nil)
        try store.store(RetentionTests.message("M1", bytes: 600))
        #expect {
            try store.store(RetentionTests.message("M2", bytes: 600, blob: 500))
        } throws: { error in
            (error as? MessageStore.Refusal)?.reply == SMTPReply(552, "5.3.4", "Error: message file too big")
        }
        #expect(store.all.map(\.id) == ["M1"] && store.totalAccepted == 1 && store.totalDropped == 0)
    }

    @Test func withASpoolAMessageLargerThanTheBudgetIsKeptOnDiskOnly() throws {
        let directory = RetentionTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try MessageStore(retention: 100, byteBudget: 1_000, spoolDirectory: directory)
        try store.store(RetentionTests.message("M1", bytes: 600))
        try store.store(RetentionTests.message("M2", bytes: 5_000, blob: 10))
        let kept = try #require(store.message(id: "M2"))
        #expect(kept.content.isEmpty && kept.xexch50?.bytes.isEmpty == true)
        #expect(kept.size == 5_000 && kept.envelope.xexch50?.size == 10)
        let spooled = try #require(kept.spooled)
        #expect(try Data(contentsOf: spooled.file).count == 5_000)
        #expect(try Data(contentsOf: #require(spooled.xexch50File)).count == 10)
        // It costs the budget nothing, so the message before it stays.
        #expect(store.all.map(\.id) == ["M1", "M2"] && store.totalRetainedBytes < 1_000)
    }

    @Test func theTranscriptBudgetCountsEndedSessionsAndDropsTheOldest() {
        let store = SessionStore(retention: 100, byteBudget: 4_000)
        var records: [SessionRecord] = []
        for number in 1...10 {
            let record = SessionRecord(
                id: "S\(number)", listener: "l", scenario: "s", clientAddress: "c", maxEntries: 100)
            store.add(record)
            for _ in 0..<10 { _ = record.append(.client, String(repeating: "x", count: 80)) }
            records.append(record)
        }
        // Open sessions cost nothing yet.
        #expect(store.all.count == 10 && store.totalRetainedTranscriptBytes == 0)
        for record in records { store.ended(record, .clientQuit) }
        let perSession = records[0].transcriptBytes
        #expect(perSession >= 10 * 95)
        #expect(store.totalRetainedTranscriptBytes <= 4_000)
        #expect(store.all.count == 4_000 / perSession)
        #expect(store.all.last?.id == "S10" && store.totalDropped == 10 - store.all.count)
        // A session open across a reset is no longer the store's: its end costs nothing.
        let open = SessionRecord(id: "S11", listener: "l", scenario: "s", clientAddress: "c", maxEntries: 100)
        store.add(open)
        _ = open.append(.client, String(repeating: "x", count: 500))
        store.removeAll()
        store.ended(open, .clientQuit)
        #expect(store.totalRetainedTranscriptBytes == 0 && store.all.isEmpty && store.totalDropped == 0)
    }

    // MARK: - Live, over SMTP and the API

    /// Sends `content` in one session; returns the reply to the final dot.
    private static func send(_ content: [UInt8], port: Int, mailParameters: String = "") throws -> String {
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\(mailParameters)\r\n")
        _ = try client.reply()
        let mail = try client.replyLine()
        guard mail.hasPrefix("250") else { return mail }
        try client.send("RCPT TO:<b@example.org>\r\nDATA\r\n")
        _ = try client.reply()
        _ = try client.reply()
        try client.send(content + Array(".\r\n".utf8))
        return try client.replyLine()
    }

    private static func body(_ size: Int, tag: String) -> [UInt8] {
        let header = Array("Subject: \(tag)\r\n\r\n".utf8)
        let line = Array(String(repeating: "y", count: 98).utf8) + [0x0D, 0x0A]
        var content = header
        while content.count + line.count <= size { content += line }
        return content
    }

    @Test func pastTheBudgetTheNewestStayAndTheListsAndMetricsCountTheDropped() throws {
        let api = try APIHost { $0.messageRetentionBytes = 64 << 10 }
        var last: [UInt8] = []
        for number in 1...10 {
            last = RetentionTests.body(20_000, tag: "number \(number)")
            #expect(try RetentionTests.send(last, port: api.smtpPorts[0]).hasPrefix("250 "))
        }
        let list = try api.get("/api/v1/messages").object()
        #expect(list["accepted"] as? Int == 10 && list["total"] as? Int == 3 && list["dropped"] as? Int == 7)
        let newest = try #require((list["messages"] as? [[String: Any]])?.last?["id"] as? String)
        #expect(try api.get("/api/v1/messages/\(newest)/raw").body == Data(last))
        #expect(try api.metric("mockmx_messages_dropped_total") == 7)
        let sizes = try #require((list["messages"] as? [[String: Any]])?.compactMap { $0["size"] as? Int })
        // The buffers the content grew in, at least its bytes, within the budget.
        let retained = try api.metric("mockmx_messages_retained_bytes")
        #expect(retained >= sizes.reduce(0, +) && retained <= 64 << 10)
    }

    @Test func withoutASpoolTooLargeIsRefused552AtMailOrAtTheDotAndTheSessionGoesOn() throws {
        let api = try APIHost { $0.messageRetentionBytes = 64 << 10 }
        let port = api.smtpPorts[0]
        // SIZE= says it at MAIL, before any content is sent.
        let atMail = try RetentionTests.send([], port: port, mailParameters: " SIZE=100000")
        #expect(atMail.hasPrefix("552 5.3.4 "))
        // Without SIZE= the content is read but not kept, and the dot gets 552, never 250.
        let client = try RawClient(port: port)
        _ = try client.reply()
        try client.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        for _ in 0..<4 { _ = try client.reply() }
        try client.send(RetentionTests.body(100_000, tag: "too big") + Array(".\r\n".utf8))
        #expect(try client.replyLine().hasPrefix("552 5.3.4 "))
        try client.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
        for _ in 0..<3 { _ = try client.reply() }
        try client.send("Subject: small\r\n\r\nfits\r\n.\r\n")
        #expect(try client.replyLine().hasPrefix("250 "))
        #expect(api.host.messages.totalAccepted == 1 && api.host.messages.all.map(\.size) == [24])
    }

    @Test func withASpoolTooLargeIsAcceptedAndServedFromTheSpoolFile() throws {
        let spool = RetentionTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let api = try APIHost {
            $0.messageRetentionBytes = 64 << 10
            $0.spoolDirectory = spool
        }
        let small = RetentionTests.body(1_000, tag: "small")
        #expect(try RetentionTests.send(small, port: api.smtpPorts[0]).hasPrefix("250 "))
        let big = RetentionTests.body(300_000, tag: "on disk")
        #expect(try RetentionTests.send(big, port: api.smtpPorts[0]).hasPrefix("250 "))

        let list = try api.get("/api/v1/messages").object()
        let messages = try #require(list["messages"] as? [[String: Any]])
        #expect(messages.map { $0["contentIn"] as? String } == ["memory", "spool"])
        #expect(messages[1]["size"] as? Int == big.count && list["dropped"] as? Int == 0)
        let id = try #require(messages[1]["id"] as? String)
        #expect(try api.get("/api/v1/messages/\(id)/raw").body == Data(big))
        let detail = try api.get("/api/v1/messages/\(id)").object()
        #expect(detail["text"] is NSNull && detail["contentIn"] as? String == "spool")
        #expect(detail["headers"] as? [[String]] == [["Subject", "on disk"]])
        #expect((small.count..<(2 * small.count)).contains(try api.metric("mockmx_messages_retained_bytes")))
    }

    /// Content and blob together over the budget: `552` without a spool (the content alone fits the lowered
    /// size limit, so the store refuses it), kept on disk with one, its blob served from the spool file.
    @Test(arguments: [false, true])
    func aBlobCountsTowardsTheBudget(spooled: Bool) throws {
        let spool = RetentionTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let api = try APIHost(scenarios: [try ScenarioLoader.resolve("exchange-2003")]) {
            $0.messageRetentionBytes = 64 << 10
            if spooled { $0.spoolDirectory = spool }
        }
        let client = try RawClient(port: api.smtpPorts[0])
        _ = try client.reply()
        try client.send("EHLO exchange.example\r\n")
        _ = try client.reply()
        try client.send("MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.org>\r\n")
        for _ in 0..<2 { _ = try client.reply() }
        try client.send("XEXCH50 40000 2\r\n")
        #expect(try client.replyLine() == "354 Send binary data")
        let blob = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try client.send(blob)
        #expect(try client.replyLine() == "250 2.0.0 XEXCH50 OK")
        try client.send("DATA\r\n")
        _ = try client.reply()
        try client.send(RetentionTests.body(40_000, tag: "with a blob") + Array(".\r\n".utf8))
        let reply = try client.replyLine()
        guard spooled else {
            #expect(reply == "552 5.3.4 Error: message file too big")
            #expect(api.host.messages.totalAccepted == 0)
            return
        }
        #expect(reply.hasPrefix("250 "))
        let id = try #require(reply.split(separator: " ").last.map(String.init))
        #expect(try api.get("/api/v1/messages/\(id)/xexch50").body == Data(blob))
        #expect(try api.get("/api/v1/messages/\(id)").object()["contentIn"] as? String == "spool")
    }

    @Test func pastTheTranscriptBudgetTheOldestSessionsGoAndTheNewestStays() async throws {
        let api = try APIHost { $0.transcriptRetentionBytes = 8 << 10 }
        for _ in 1...40 { _ = try api.deliver() }
        #expect(await api.host.sessions.wait(forEnded: 40, timeout: .seconds(10)))
        let list = try api.get("/api/v1/sessions").object()
        let total = try #require(list["total"] as? Int)
        #expect(total > 0 && total < 40)
        #expect(list["accepted"] as? Int == 40 && list["dropped"] as? Int == 40 - total)
        #expect(try api.metric("mockmx_sessions_dropped_total") == 40 - total)
        #expect(try api.metric("mockmx_transcripts_retained_bytes") <= 8 << 10)
        let newest = try #require((list["sessions"] as? [[String: Any]])?.last?["id"] as? String)
        #expect(try api.get("/api/v1/sessions/\(newest)").status == 200)
    }
}
