import Foundation
import SMTPProtocol
import StrictJSON
import Testing

@testable import MockMXServer

/// The spool: what a reader of the directory may rely on.
@Suite struct MessageStoreTests {
    static func message(xexch50: XEXCH50Blob?) -> StoredMessage {
        StoredMessage(
            id: "S1.1", sessionID: "S1", listener: "127.0.0.1:2525", clientAddress: "127.0.0.1", heloName: nil,
            mailFrom: "a@b.example", mailParameters: [SMTPParameter(key: "BODY", value: "8BITMIME")],
            recipients: ["c@d.example"], recipientParameters: [[]], authenticatedUser: nil, receivedOverTLS: false,
            receivedAt: Date(timeIntervalSince1970: 0), content: Array("hello\r\n".utf8), xexch50: xexch50)
    }

    @Test func theEnvelopeIsWrittenAfterTheContentAndTheBlob() throws {
        let blob = XEXCH50Blob(bytes: [0x0D, 0x0A, 0x2E, 0x0D, 0x0A, 0x00], recipientArgument: 2)
        let files = try MessageStore.spoolFiles(for: MessageStoreTests.message(xexch50: blob))
        #expect(files.map(\.name) == ["S1.1.eml", "S1.1.xexch50", "S1.1.json"])
        #expect(files[1].contents == blob.bytes)
        let plain = try MessageStore.spoolFiles(for: MessageStoreTests.message(xexch50: nil))
        #expect(plain.map(\.name) == ["S1.1.eml", "S1.1.json"])
    }

    @Test func theSpooledEnvelopeHasEveryKeyWithNullsAndReadsBackAsTheSameEnvelope() throws {
        let blob = XEXCH50Blob(bytes: Array(repeating: 7, count: 10), recipientArgument: 2)
        let message = MessageStoreTests.message(xexch50: blob)
        let json = Data(try #require(try MessageStore.spoolFiles(for: message).last?.contents))
        let document = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(document.keys) == ControlAPITests.envelopeKeys)
        #expect(document["helo"] is NSNull && document["authenticatedUser"] is NSNull)
        #expect(document["xexch50"] as? [String: Int] == ["size": 10, "recipientArgument": 2])
        let parameters = try #require(document["mailParameters"] as? [[String: String]])
        #expect(parameters == [["key": "BODY", "value": "8BITMIME"]])
        #expect(try JSONDecoder().decode(MessageEnvelope.self, from: json) == message.envelope)
    }

    @Test func aSpooledMessageWithABlobLeavesAllThreeFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try MessageStore(retention: 10, spoolDirectory: directory)
        let blob = XEXCH50Blob(bytes: Array(repeating: 1, count: 5), recipientArgument: 2)
        try store.store(MessageStoreTests.message(xexch50: blob))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["S1.1.eml", "S1.1.json", "S1.1.xexch50"])
        #expect(FileManager.default.contents(atPath: "\(directory)/S1.1.xexch50") == Data(blob.bytes))
    }

    @Test func aFileThatCannotBeWrittenSaysWhereAndWhy() throws {
        let directory = "/nonexistent-\(UUID())"
        let error = #expect(throws: SpoolError.self) {
            try [UInt8]("x".utf8).withUnsafeBytes {
                try SpoolWriter.write($0, to: directory, name: "a.eml", atomically: true)
            }
        }
        #expect(error?.description == "open \(directory)/.a.eml.tmp: No such file or directory")
    }

    /// The spool thread writes, keeps the message, then hands the outcome back on the loop; with sync the
    /// batch is synced first. A spool that is no directory any more refuses with 451 and keeps nothing.
    @Test(arguments: [false, true]) func theSpoolThreadKeepsTheMessageBeforeItsOutcomeReachesTheLoop(sync: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockmx-spool-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try MessageStore(retention: 10, spoolDirectory: directory, syncSpool: sync)
        #expect(store.storesInBackground)
        let loop = try EventLoop()
        loop.start(name: "test-loop")
        defer {
            loop.execute { loop.stopFromLoop() }
            loop.waitUntilStopped()
        }
        let kept: MessageStore.Refusal?? = await withCheckedContinuation { continuation in
            store.store(MessageStoreTests.message(xexch50: nil), loop: loop) { continuation.resume(returning: $0) }
        }
        #expect(kept.map { $0 == nil } == true)
        #expect(store.all.map(\.id) == ["S1.1"])
        #expect(FileManager.default.fileExists(atPath: "\(directory)/S1.1.json"))

        try FileManager.default.removeItem(atPath: directory)
        var second = MessageStoreTests.message(xexch50: nil)
        second.id = "S1.2"
        let refused: MessageStore.Refusal? = await withCheckedContinuation { continuation in
            store.store(second, loop: loop) { continuation.resume(returning: $0) }
        }
        #expect(refused?.reply.code == 451)
        #expect(refused?.reason.hasPrefix("open \(directory)/S1.2.eml: No such file or directory") == true)
        #expect(store.all.map(\.id) == ["S1.1"])
        store.finishSpoolWrites()
    }

    /// A page of a filtered list: `total` counts every match, the page holds only its own.
    @Test func aPageCountsEveryMatchAndCopiesOnlyItsOwn() throws {
        let store = try MessageStore(retention: 100, spoolDirectory: nil)
        for index in 0..<7 {
            var message = MessageStoreTests.message(xexch50: nil)
            message.id = "S1.\(index)"
            message.recipients = [index % 2 == 0 ? "even@d.example" : "odd@d.example"]
            try store.store(message)
        }
        let even: (StoredMessage) -> Bool = { $0.recipients == ["even@d.example"] }
        let id: (StoredMessage) -> [UInt8] = { Array($0.id.utf8) }
        let ids: ([JSONFragment]) -> [String] = { $0.map { String(decoding: $0.bytes, as: UTF8.self) } }
        let page = store.page(ListPage(start: 1, limit: 2), matching: even, listing: id)
        #expect(page.total == 4 && page.start == 1 && ids(page.messages) == ["S1.2", "S1.4"])
        let beyond = store.page(ListPage(start: 9, limit: 2), matching: even, listing: id)
        #expect(beyond.total == 4 && beyond.start == 4 && beyond.messages.isEmpty)
        let all = store.page(ListPage(start: 5), listing: id)
        #expect(all.total == 7 && all.start == 5 && ids(all.messages) == ["S1.5", "S1.6"])
    }

    /// A message is encoded for the list once; later pages reuse it, until the store forgets the message.
    @Test func aListedMessageIsEncodedOnce() throws {
        let store = try MessageStore(retention: 3, spoolDirectory: nil)
        var encoded: [String] = []
        let listing: (StoredMessage) -> [UInt8] = { message in
            encoded.append(message.id)
            return Array("\"\(message.id)\"".utf8)
        }
        for index in 0..<3 {
            var message = MessageStoreTests.message(xexch50: nil)
            message.id = "S1.\(index)"
            try store.store(message)
        }
        _ = store.page(ListPage(start: 0, limit: 2), listing: listing)
        let again = store.page(ListPage(start: 0), listing: listing)
        #expect(again.messages.map(\.bytes) == [#""S1.0""#, #""S1.1""#, #""S1.2""#].map { Array($0.utf8) })
        #expect(encoded == ["S1.0", "S1.1", "S1.2"])
        var fourth = MessageStoreTests.message(xexch50: nil)
        fourth.id = "S1.3"
        try store.store(fourth)   // drops S1.0
        _ = store.page(ListPage(start: 0), listing: listing)
        #expect(encoded == ["S1.0", "S1.1", "S1.2", "S1.3"])
    }
}
