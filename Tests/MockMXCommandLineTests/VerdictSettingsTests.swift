import MockMXCommandLine
import Testing

/// `--junit`, `--junit-warnings`, `--fail-on-verdict` and their `MOCKMX_*` variables.
@Suite struct VerdictSettingsTests {
    @Test func flagsWinAndVariablesFillIn() throws {
        let none = try VerdictSettings.resolve(junit: nil, junitWarnings: false, failOnVerdict: false, environment: [:])
        #expect(none == VerdictSettings())
        let fromEnvironment = try VerdictSettings.resolve(
            junit: nil, junitWarnings: false, failOnVerdict: false,
            environment: ["MOCKMX_JUNIT": "/tmp/v.xml", "MOCKMX_JUNIT_WARNINGS": "yes", "MOCKMX_FAIL_ON_VERDICT": "1"])
        #expect(fromEnvironment == VerdictSettings(junitFile: "/tmp/v.xml", junitWarnings: true, failOnVerdict: true))
        let flagged = try VerdictSettings.resolve(
            junit: "out.xml", junitWarnings: true, failOnVerdict: true, environment: ["MOCKMX_JUNIT": "/tmp/v.xml"])
        #expect(flagged == VerdictSettings(junitFile: "out.xml", junitWarnings: true, failOnVerdict: true))
    }

    @Test func badValuesNameWhereTheyCameFrom() {
        #expect(throws: ConfigurationError("--junit", "must name a file")) {
            try VerdictSettings.resolve(junit: "", junitWarnings: false, failOnVerdict: false, environment: [:])
        }
        #expect(throws: ConfigurationError(
            "MOCKMX_FAIL_ON_VERDICT", "expected true or false (also 1/0, yes/no, on/off), found 'sometimes'")) {
            try VerdictSettings.resolve(
                junit: nil, junitWarnings: false, failOnVerdict: false,
                environment: ["MOCKMX_FAIL_ON_VERDICT": "sometimes"])
        }
        #expect(throws: ConfigurationError("MOCKMX_JUNIT_WARNING", "unknown environment variable; did you mean MOCKMX_JUNIT_WARNINGS?")) {
            try VerdictSettings.resolve(
                junit: nil, junitWarnings: false, failOnVerdict: false, environment: ["MOCKMX_JUNIT_WARNING": "1"])
        }
    }
}
