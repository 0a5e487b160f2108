@testable import MockMXServer
import Testing

/// Mailpit's search syntax read into terms, without a host.
@Suite struct MailpitSearchTests {
    @Test func readsQuotedPhrasesExclusionsAndFieldPrefixes() throws {
        let search = try MailpitSearch(#"to:Bob "Invoice 42" -from:shop !is:read has:attachments larger:1.5k"#)
        #expect(search.terms.map(\.term) == [
            .contains(.to, "bob"), .contains(.text, "invoice 42"), .contains(.from, "shop"), .read(true),
            .hasAttachment, .larger(1536),
        ])
        #expect(search.terms.map(\.exclude) == [false, false, true, true, false, false])
    }

    @Test func keepsUnreadableSizesAsWordsAndRefusesWhatItCannotHonour() throws {
        #expect(try MailpitSearch("smaller:huge").terms.map(\.term) == [.contains(.text, "smaller:huge")])
        // An empty `to:` is skipped; a lone `-` is a word, not an exclusion (Mailpit reads both so).
        #expect(try MailpitSearch("to: -").terms.map(\.term) == [.contains(.text, "-")])
        for query in ["before:2026-01-01", "tag:urgent", "-after:yesterday"] {
            #expect(throws: MailpitSearch.Problem.self, "\(query)") { try MailpitSearch(query) }
        }
    }
}
