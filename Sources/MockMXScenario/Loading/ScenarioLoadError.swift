/// A scenario that could not be loaded, with every problem found in it (not just the first), in file order.
public struct ScenarioLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [ScenarioDiagnostic]

    public init(diagnostics: [ScenarioDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One rendered diagnostic per line, ready for a terminal.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
