import ArgumentParser
import Foundation
import MockMXServer
import MockMXVerdicts

struct Verdicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Judge the sender under test from a spool's session files (serve --spool DIR).",
        discussion: "Exit 0 when no verdict failed, 1 when one did, 2 when the spool cannot be read.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, junit
    }

    @Argument(help: "A spool directory (its sessions/ folder and dns.jsonl are read) or a folder of session files.")
    var directory: String

    @Option(help: "text: a report card for a terminal; json: the API's shape; junit: JUnit XML.")
    var format: Format = .text

    @Flag(help: "Failed warning-level verdicts are JUnit failures too (else reported in <system-out>).")
    var junitWarnings = false

    @Option(help: "Only verdicts on this check.")
    var check: String?

    @Option(help: "Only verdicts on this client address.")
    var client: String?

    func validate() throws {
        if let problem = VerdictFilter(check: check).problem { throw ValidationError(problem) }
    }

    func run() throws {
        let sessions: [RecordedSession]
        let lookups: [DNSLookup]
        do {
            sessions = try SessionSpool.read(directory)
            lookups = try SessionSpool.dnsLookups(in: directory)
        } catch {
            let message = (error as? HostError)?.description ?? "\(directory): \(error.localizedDescription)"
            FileHandle.standardError.write(Data("mockmx verdicts: \(message)\n".utf8))
            throw ExitCode(2)
        }
        let messageIDs = SessionSpool.messageIDs(in: directory, for: sessions)
        let report = VerdictFilter(client: client, check: check)
            .apply(VerdictEngine().judge(sessions, messageIDs: messageIDs, dnsLookups: lookups))
        switch format {
        case .text:
            print(ReportCard.render(report), terminator: "")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        case .junit:
            print(JUnitReport.render(report, warningsFail: junitWarnings), terminator: "")
        }
        if report.hasFailure { throw ExitCode(1) }
    }
}
