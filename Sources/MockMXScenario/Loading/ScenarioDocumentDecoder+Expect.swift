internal import Yams

/// `expect:`: what the verdicts hold the sender under test to.
extension ScenarioDocumentDecoder {
    static let expectKeys = ["tls", "retry-within", "patience"]

    mutating func decodeExpectations(_ node: Node, base: ScenarioExpectations) -> ScenarioExpectations {
        var expectations = base
        guard let fields = fields(of: node, path: "expect", keys: Self.expectKeys) else { return expectations }
        if let node = fields["tls"], let tls = enumeration(node, path: "expect.tls", as: TLSExpectation.self) {
            expectations.tlsRequired = tls == .required
        }
        if let node = fields["retry-within"] {
            expectations.retryWithinMilliseconds = milliseconds(node, path: "expect.retry-within", minimum: 1)
                ?? expectations.retryWithinMilliseconds
        }
        if let node = fields["patience"] {
            expectations.patienceMilliseconds = milliseconds(node, path: "expect.patience", minimum: 1)
                ?? expectations.patienceMilliseconds
        }
        return expectations
    }
}

private enum TLSExpectation: String, CaseIterable {
    case required, optional
}
