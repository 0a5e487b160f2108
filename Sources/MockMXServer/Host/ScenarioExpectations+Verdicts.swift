import MockMXScenario
import MockMXVerdicts

extension ScenarioExpectations {
    /// The note a session starts with when its scenario expects something (`expect:`), so the verdicts — live
    /// or from a spool — hold the sender to it.
    var verdictNote: String {
        VerdictExpectations(
            tlsRequired: tlsRequired, retryWithinSeconds: retryWithinMilliseconds.map { Double($0) / 1000 },
            minimumPatienceSeconds: patienceMilliseconds.map { Double($0) / 1000 }
        ).note
    }
}
