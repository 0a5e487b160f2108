/// What `serve` does with its verdicts at shutdown: `--junit FILE`, `--junit-warnings`, `--fail-on-verdict`
/// (or `MOCKMX_JUNIT`, `MOCKMX_JUNIT_WARNINGS`, `MOCKMX_FAIL_ON_VERDICT`); a flag wins over its variable.
public struct VerdictSettings: Sendable, Equatable {
    /// Where to write the verdicts as JUnit XML at shutdown; nil writes none.
    public var junitFile: String?
    /// Failed warning-severity verdicts become JUnit failures (else they are reported in `<system-out>`).
    public var junitWarnings: Bool
    /// Exit 1 at shutdown when any verdict failed.
    public var failOnVerdict: Bool

    public init(junitFile: String? = nil, junitWarnings: Bool = false, failOnVerdict: Bool = false) {
        self.junitFile = junitFile
        self.junitWarnings = junitWarnings
        self.failOnVerdict = failOnVerdict
    }

    public static func resolve(
        junit: String?, junitWarnings: Bool, failOnVerdict: Bool, environment: [String: String]
    ) throws(ConfigurationError) -> VerdictSettings {
        let variables = try EnvironmentVariables(environment)
        if junit?.isEmpty == true { throw ConfigurationError("--junit", "must name a file") }
        let warningsVariable = try flag(variables, .junitWarnings)
        let failVariable = try flag(variables, .failOnVerdict)
        return VerdictSettings(
            junitFile: junit ?? variables[.junit], junitWarnings: junitWarnings || warningsVariable,
            failOnVerdict: failOnVerdict || failVariable)
    }

    private static func flag(
        _ variables: EnvironmentVariables, _ variable: EnvironmentVariable
    ) throws(ConfigurationError) -> Bool {
        guard let text = variables[variable] else { return false }
        guard let value = EnvironmentVariable.boolean(text) else {
            throw ConfigurationError(variable.rawValue, "expected \(variable.expectation), found '\(text)'")
        }
        return value
    }
}
