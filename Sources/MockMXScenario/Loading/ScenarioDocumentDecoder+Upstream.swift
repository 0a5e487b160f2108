internal import Yams

extension ScenarioDocumentDecoder {
    static let upstreamKeys = [
        "address", "connect-timeout", "reply-timeout", "starttls", "verify", "ca-file", "server-name",
    ]

    /// `upstream: HOST:PORT`, or a mapping with `address:` and the two timeouts.
    mutating func decodeUpstream(_ node: Node) -> UpstreamSettings? {
        if case .scalar = node, !isNull(node) {
            return address(node, path: "upstream").map { UpstreamSettings(address: $0) }
        }
        guard let fields = fields(of: node, path: "upstream", keys: Self.upstreamKeys) else { return nil }
        guard let addressNode = fields["address"] else {
            report(node, path: "upstream", "an upstream needs 'address: HOST:PORT'")
            return nil
        }
        guard let address = address(addressNode, path: "upstream.address") else { return nil }
        var settings = UpstreamSettings(address: address)
        if let node = fields["connect-timeout"] {
            settings.connectTimeoutMilliseconds = milliseconds(node, path: "upstream.connect-timeout", minimum: 1)
                ?? settings.connectTimeoutMilliseconds
        }
        if let node = fields["reply-timeout"] {
            settings.replyTimeoutMilliseconds = milliseconds(node, path: "upstream.reply-timeout", minimum: 1)
                ?? settings.replyTimeoutMilliseconds
        }
        if let node = fields["starttls"] {
            settings.startTLS = boolean(node, path: "upstream.starttls") ?? settings.startTLS
        }
        if let node = fields["verify"] {
            settings.verify = boolean(node, path: "upstream.verify") ?? settings.verify
            if settings.verify, !settings.startTLS {
                report(node, path: "upstream.verify", "verifying the upstream's certificate needs 'starttls: true'")
            }
        }
        for (key, keyPath) in [("ca-file", \UpstreamSettings.caFile), ("server-name", \UpstreamSettings.serverName)] {
            guard let node = fields[key], let text = string(node, path: "upstream.\(key)") else { continue }
            if text.isEmpty {
                report(node, path: "upstream.\(key)", "must not be empty")
            } else if !settings.verify {
                report(node, path: "upstream.\(key)", "'\(key)' is used only with 'verify: true'")
            } else {
                settings[keyPath: keyPath] = text
            }
        }
        return settings
    }

    private mutating func address(_ node: Node, path: String) -> HostPort? {
        guard let text = string(node, path: path) else { return nil }
        guard let address = HostPort(text), address.port != 0 else {
            report(node, path: path, "'\(text)' is not the address of a host (use HOST:PORT or [IPV6]:PORT, a numeric address and a port above 0)")
            return nil
        }
        return address
    }
}
