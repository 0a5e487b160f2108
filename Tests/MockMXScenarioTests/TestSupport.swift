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
