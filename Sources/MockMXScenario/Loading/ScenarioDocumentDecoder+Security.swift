internal import Yams
import SMTPProtocol

extension ScenarioDocumentDecoder {
    /// `host.tls`: the certificate, protocol versions, ciphers, and whether TLS is required first.
    mutating func decodeTLS(_ node: Node) -> (TLSSettings, required: Bool) {
        var settings = TLSSettings()
        var required = false
        guard let fields = fields(of: node, path: "host.tls", keys: Self.tlsKeys) else { return (settings, false) }
        if let node = fields["certificate"] {
            switch string(node, path: "host.tls.certificate") {
            case "self-signed": settings.certificate = .selfSigned
            case "valid": settings.certificate = .valid
            case "expired": settings.certificate = .expired
            case "wrong-hostname": settings.certificate = .wrongHostname
            case let other?:
                let kinds = ["self-signed", "valid", "expired", "wrong-hostname"]
                report(node, path: "host.tls.certificate",
                       "unknown certificate '\(other)'\(Spelling.didYouMean(other, among: kinds)); expected "
                           + Self.list(kinds, conjunction: "or") + ", or certificate-file and key-file")
            case nil: break
            }
        }
        let certificateFile = fields["certificate-file"].flatMap { string($0, path: "host.tls.certificate-file") }
        let keyFile = fields["key-file"].flatMap { string($0, path: "host.tls.key-file") }
        switch (certificateFile, keyFile) {
        case let (certificate?, key?):
            if fields["certificate"] != nil {
                report(fields.node, path: "host.tls", "give either certificate or certificate-file and key-file, not both")
            }
            settings.certificate = .files(certificate: certificate, key: key)
        case (.some, nil), (nil, .some):
            report(fields.node, path: "host.tls", "certificate-file and key-file go together")
        case (nil, nil):
            break
        }
        if let node = fields["min-version"] {
            settings.minimumVersion = enumeration(node, path: "host.tls.min-version", as: TLSSettings.Version.self)
        }
        if let node = fields["max-version"] {
            settings.maximumVersion = enumeration(node, path: "host.tls.max-version", as: TLSSettings.Version.self)
        }
        if let minimum = settings.minimumVersion, let maximum = settings.maximumVersion, minimum > maximum {
            report(fields.node, path: "host.tls", "min-version \(minimum.rawValue) is above max-version \(maximum.rawValue)")
        }
        if let node = fields["ciphers"] {
            settings.ciphers = string(node, path: "host.tls.ciphers")
        }
        if let node = fields["required"] {
            required = boolean(node, path: "host.tls.required") ?? false
        }
        return (settings, required)
    }

    /// `host.auth`: accounts, accept-any, and whether AUTH needs TLS.
    mutating func decodeAuth(_ node: Node) -> AuthPolicy {
        guard let fields = fields(of: node, path: "host.auth", keys: Self.authKeys) else { return AuthPolicy() }
        var users: [String: String] = [:]
        if let node = fields["users"] {
            if case let .mapping(mapping) = node {
                for (nameNode, passwordNode) in mapping {
                    guard let name = string(nameNode, path: "host.auth.users"),
                        let password = string(passwordNode, path: "host.auth.users.\(name)")
                    else { continue }
                    users[name] = password
                }
            } else {
                report(node, path: "host.auth.users", "expected a mapping of user names to passwords, found \(describe(node))")
            }
        }
        let acceptAny = fields["accept-any"].flatMap { boolean($0, path: "host.auth.accept-any") }
        let requireTLS = fields["require-tls"].flatMap { boolean($0, path: "host.auth.require-tls") } ?? false
        return AuthPolicy(users: users, acceptAny: acceptAny, requireTLS: requireTLS)
    }
}
