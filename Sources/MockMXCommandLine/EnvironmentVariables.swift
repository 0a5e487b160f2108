import Foundation
import MockMXScenario

/// The `MOCKMX_*` variables mockmx reads, and what each holds.
public enum EnvironmentVariable: String, Sendable, CaseIterable {
    case listen = "MOCKMX_LISTEN"
    case api = "MOCKMX_API"
    case apiToken = "MOCKMX_API_TOKEN"
    case spool = "MOCKMX_SPOOL"
    case readyFile = "MOCKMX_READY_FILE"
    case logFormat = "MOCKMX_LOG_FORMAT"
    case grace = "MOCKMX_GRACE"
    case maxConnections = "MOCKMX_MAX_CONNECTIONS"
    case retainMessages = "MOCKMX_RETAIN_MESSAGES"
    case retainSessions = "MOCKMX_RETAIN_SESSIONS"
    case retainMessageBytes = "MOCKMX_RETAIN_MESSAGE_BYTES"
    case retainTranscriptBytes = "MOCKMX_RETAIN_TRANSCRIPT_BYTES"
    case verbose = "MOCKMX_VERBOSE"
    case seed = "MOCKMX_SEED"
    case dns = "MOCKMX_DNS"
    case clockScale = "MOCKMX_CLOCK_SCALE"
    case junit = "MOCKMX_JUNIT"
    case junitWarnings = "MOCKMX_JUNIT_WARNINGS"
    case failOnVerdict = "MOCKMX_FAIL_ON_VERDICT"
    case mailpitAPI = "MOCKMX_MAILPIT_API"
    case upstream = "MOCKMX_UPSTREAM"
    case spoolSync = "MOCKMX_SPOOL_SYNC"

    /// What a value must look like, for the error when it does not.
    var expectation: String {
        switch self {
        case .logFormat: "'text' or 'json'"
        case .grace: "a number of seconds such as 5 or 0.5"
        case .maxConnections, .retainMessages, .retainSessions: "a whole number above 0"
        case .verbose, .junitWarnings, .failOnVerdict, .spoolSync: "true or false (also 1/0, yes/no, on/off)"
        case .seed: "a whole number from 0 to \(UInt64.max)"
        case .retainMessageBytes, .retainTranscriptBytes: "a size above 0 such as 268435456, 256MiB or 64M"
        case .clockScale: "a number above 0 such as 0.01"
        case .listen, .api, .apiToken, .spool, .readyFile, .dns, .junit, .mailpitAPI: "a value"
        case .upstream: "HOST:PORT or [IPV6]:PORT of the host to proxy"
        }
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }
}

/// The process environment as mockmx reads it: only its own variables, trimmed (a YAML block scalar in a
/// pod spec ends in a newline), an empty one counting as unset.
struct EnvironmentVariables {
    private let values: [EnvironmentVariable: String]

    /// Refuses any `MOCKMX_*` name it does not know: a misspelt variable would otherwise be ignored and the
    /// container would quietly run with a default.
    init(_ environment: [String: String]) throws(ConfigurationError) {
        let known = EnvironmentVariable.allCases.map(\.rawValue)
        let unknown = environment.keys.filter { $0.hasPrefix("MOCKMX_") && !known.contains($0) }.sorted()
        if let name = unknown.first {
            let hint = Spelling.suggestion(for: name, among: known).map { "did you mean \($0)?" }
                ?? "mockmx reads " + known.joined(separator: ", ")
            let others = unknown.count > 1 ? " (also unknown: \(unknown.dropFirst().joined(separator: ", ")))" : ""
            throw ConfigurationError(name, "unknown environment variable; \(hint)\(others)")
        }
        var values: [EnvironmentVariable: String] = [:]
        for variable in EnvironmentVariable.allCases {
            let value = environment[variable.rawValue]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !value.isEmpty { values[variable] = value }
        }
        self.values = values
    }

    subscript(_ variable: EnvironmentVariable) -> String? { values[variable] }
}
