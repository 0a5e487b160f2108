import ArgumentParser
import Foundation
import MockMXCommandLine
import MockMXTranscripts
import MockMXScenario

/// Golden transcripts: two sessions compared as dialogues; exit 1 with the differences when they differ.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two sessions' dialogues (commands and replies in order); exit 1 and show how they differ.",
        discussion: "Each of A and B is a session JSON file (as GET /api/v1/sessions/{id} gives it: save one as a "
            + "golden file), or with --api a session id on that running mockmx. Session and message ids, queue ids, "
            + "dates, SIZE values and content sizes are masked and times are ignored, unless asked.")

    @Argument(help: ArgumentHelp("The expected session (the golden file).", valueName: "A"))
    var expected: String

    @Argument(help: ArgumentHelp("The session to check.", valueName: "B"))
    var actual: String

    @Option(help: ArgumentHelp("HOST:PORT of a control API, for arguments that are session ids.", valueName: "address"))
    var api: String?

    @Option(
        name: .customLong("api-token"),
        help: ArgumentHelp("Bearer token for --api (default: MOCKMX_API_TOKEN).", valueName: "token"))
    var apiToken: String?

    @Flag(help: "Compare the texts exactly as recorded: nothing masked.")
    var exact = false

    @Flag(help: "Compare the notes too (rules firing, upstream replies, messages stored).")
    var notes = false

    @Option(
        name: .customLong("timing"),
        help: ArgumentHelp(
            "Also compare when each line came (from the session's start) within this tolerance: 200ms, 1s.",
            valueName: "tolerance"))
    var timing: String?

    func run() throws {
        var options = GoldenTranscript.Options(exact: exact, notes: notes)
        if let timing {
            guard case .success(let milliseconds) = ScenarioDuration.milliseconds(timing) else {
                throw ValidationError("--timing: expected a duration such as 200ms or 1s, found '\(timing)'")
            }
            options.timingToleranceMilliseconds = milliseconds
        }
        let a = try dialogue(expected, options: options)
        let b = try dialogue(actual, options: options)
        guard let difference = GoldenTranscript.difference(a, b, labels: (expected, actual), options: options) else {
            print("mockmx diff: the dialogues match (\(a.count) line(s))")
            return
        }
        print(difference, terminator: "")
        throw ExitCode(1)
    }

    private func dialogue(_ source: String, options: GoldenTranscript.Options) throws -> [GoldenTranscript.Line] {
        let data: Data
        if FileManager.default.fileExists(atPath: source) {
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw fail("\(source): cannot be read")
            }
            data = contents
        } else if let api {
            let token = apiToken ?? ProcessInfo.processInfo.environment["MOCKMX_API_TOKEN"]
            switch SessionFetch.session(source, api: api, token: token) {
            case .success(let body): data = body
            case .failure(let failure): throw fail(failure.description)
            }
        } else {
            throw fail("\(source): no such file (give --api HOST:PORT to read a session id from a running mockmx)")
        }
        do {
            return try GoldenTranscript.dialogue(sessionJSON: data, options: options)
        } catch {
            throw fail("\(source): \(error.description)")
        }
    }

    /// Exit 2 for trouble (as diff(1)), keeping 1 for "they differ".
    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("mockmx diff: \(message)\n".utf8))
        return ExitCode(2)
    }
}
