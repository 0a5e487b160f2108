import FuzzSupport
import MockMXCommandLine

/// The `MOCKMX_*` environment as `mockmx serve` reads it, fed arbitrary bytes: each line `NAME=VALUE` is a
/// variable (sizes, counts, listen entries, booleans, …), as a container's environment would hold them.
///
/// Invariants: it never crashes; the same environment gives the same answer twice; an error names where the
/// bad value came from (a variable mockmx reads, or the unknown `MOCKMX_*` name it was given) with a message;
/// settings it accepts have positive bounds and at least one listener with an address; and every value that
/// reads as a size reads back the same from the size's own description (`256MiB`).
enum ServeSettingsFuzzer {
    static func run(_ data: [UInt8]) {
        var environment: [String: String] = [:]
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let text = String(decoding: line, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        let first = resolve(environment)
        invariant(resolve(environment) == first, "two answers for the same environment: \(printable(data))")
        switch first {
        case .failure(let error):
            let known = EnvironmentVariable.allCases.map(\.rawValue)
            invariant(
                known.contains(error.source) || (error.source.hasPrefix("MOCKMX_") && environment[error.source] != nil),
                "an error from \(error.source), which is neither read nor given: \(printable(data))")
            invariant(!error.message.isEmpty, "an error without a message: \(printable(data))")
        case .success(let settings):
            invariant(
                settings.retainMessageBytes > 0 && settings.retainTranscriptBytes > 0 && settings.retainMessages > 0
                    && settings.retainSessions > 0 && settings.maxConnections > 0,
                "a bound of 0 or less accepted: \(printable(data))")
            invariant(
                !settings.listeners.isEmpty && settings.listeners.allSatisfy { !$0.address.isEmpty },
                "no listener address: \(printable(data))")
        }
        for value in environment.values {
            guard let size = ByteCount(parsing: value) else { continue }
            invariant(size.bytes >= 0, "a negative size from '\(value)'")
            invariant(
                ByteCount(parsing: size.description) == size, "'\(value)' does not read back from '\(size)'")
        }
    }

    private static func resolve(_ environment: [String: String]) -> Result<ServeSettings, ConfigurationError> {
        Result { () throws(ConfigurationError) in
            try ServeSettings.resolve(flags: .init(), environment: environment, inContainer: false)
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ServeSettingsFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzServeSettingsReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), ServeSettingsFuzzer.run)
    }
}
#endif
