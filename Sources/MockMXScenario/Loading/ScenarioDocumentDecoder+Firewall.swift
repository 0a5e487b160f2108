internal import Yams

extension ScenarioDocumentDecoder {
    /// `firewall: pix-mailguard` (a persona alone) or a mapping of knobs, optionally starting from a persona.
    mutating func decodeFirewall(_ node: Node) -> FirewallConfiguration? {
        if case .scalar = node, !isNull(node) {
            return enumeration(node, path: "firewall", as: FirewallConfiguration.Persona.self)
                .map(FirewallConfiguration.init(persona:))
        }
        guard let fields = fields(of: node, path: "firewall", keys: Self.firewallKeys) else { return nil }
        var firewall = FirewallConfiguration()
        if let node = fields["persona"],
           let persona = enumeration(node, path: "firewall.persona", as: FirewallConfiguration.Persona.self) {
            firewall = FirewallConfiguration(persona: persona)
        }
        if let node = fields["mask-banner"], let value = boolean(node, path: "firewall.mask-banner") {
            firewall.maskBanner = value
        }
        if let node = fields["allow-commands"], let verbs = verbList(node, path: "firewall.allow-commands") {
            firewall.allowCommands = verbs
        }
        if let node = fields["deny-commands"], let verbs = verbList(node, path: "firewall.deny-commands") {
            firewall.denyCommands = verbs
        }
        if let node = fields["rewrite"],
           let rewrite = enumeration(node, path: "firewall.rewrite", as: FirewallConfiguration.CommandRewrite.self) {
            firewall.disallowedCommandRewrite = rewrite
        }
        if let node = fields["mask-extensions"], let keywords = keywordList(node, path: "firewall.mask-extensions") {
            firewall.maskExtensions = keywords
        }
        if let node = fields["mask-unknown-extensions"],
           let value = boolean(node, path: "firewall.mask-unknown-extensions") {
            firewall.maskUnknownExtensions = value
        }
        if let node = fields["strip-extensions"], let keywords = keywordList(node, path: "firewall.strip-extensions") {
            firewall.stripExtensions = keywords
        }
        if let node = fields["swallow-after"], let verb = string(node, path: "firewall.swallow-after") {
            if Self.isVerb(verb) {
                firewall.swallowAfter = verb.uppercased()
            } else {
                report(node, path: "firewall.swallow-after", "not a command verb: '\(verb)'")
            }
        }
        if let node = fields["drop-split-dot"], let value = boolean(node, path: "firewall.drop-split-dot") {
            firewall.dropSplitDot = value
        }
        if let node = fields["max-command-length"] {
            firewall.maxCommandLength = integer(node, path: "firewall.max-command-length", minimum: 1)
        }
        if let node = fields["max-recipients"] {
            firewall.maxRecipients = integer(node, path: "firewall.max-recipients", minimum: 1)
        }
        return firewall
    }

    private mutating func verbList(_ node: Node, path: String) -> [String]? {
        guard let items = stringList(node, path: path) else { return nil }
        var verbs: [String] = []
        for (index, item) in items.enumerated() {
            if Self.isVerb(item.value) {
                verbs.append(item.value.uppercased())
            } else {
                report(item.node, path: "\(path)[\(index)]", "not a command verb: '\(item.value)'")
            }
        }
        return verbs.count == items.count ? verbs : nil
    }

    /// EHLO keywords (one word each, `AUTH=LOGIN` included), upper-cased: keywords are case-insensitive
    /// (Exchange advertises `8bitmime`).
    private mutating func keywordList(_ node: Node, path: String) -> [String]? {
        guard let items = stringList(node, path: path) else { return nil }
        var keywords: [String] = []
        for (index, item) in items.enumerated() {
            if !item.value.isEmpty, !item.value.unicodeScalars.contains(where: { $0 == " " || $0 == "\t" }) {
                keywords.append(item.value.uppercased())
            } else {
                report(item.node, path: "\(path)[\(index)]", "not an EHLO keyword: '\(item.value)'")
            }
        }
        return keywords.count == items.count ? keywords : nil
    }
}
