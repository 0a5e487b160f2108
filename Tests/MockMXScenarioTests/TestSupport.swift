import MockMXScenario

/// The rendered diagnostics of a document that must fail to load (empty when it loaded).
func renderedErrors(_ yaml: String, file: String = "test.yaml") -> [String] {
    do {
        _ = try ScenarioLoader.load(yaml: yaml, file: file)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

/// The scenario of a document that must load; a load error is rethrown so the test fails with it.
func loadScenario(_ yaml: String, file: String = "test.yaml") throws -> Scenario {
    try ScenarioLoader.load(yaml: yaml, file: file)
}

extension Array where Element == UInt8 {
    init(ascii text: String) {
        self = Array(text.utf8)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing and removing a scratch file with the C library, as the module under test does.
enum ScratchFile {
    /// A path in /tmp no other test process uses.
    static func uniquePath() -> String {
        "/tmp/mockmx-scenario-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml"
    }

    static func write(_ text: String, to path: String) -> Bool {
        guard let stream = fopen(path, "wb") else { return false }
        defer { fclose(stream) }
        let bytes = Array(text.utf8)
        return fwrite(bytes, 1, bytes.count, stream) == bytes.count
    }

    static func remove(_ path: String) {
        unlink(path)
    }
}
