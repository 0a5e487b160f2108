extension BundledScenarios {
    /// The comment block a bundled scenario starts with — which situation it reproduces and what a correct
    /// sender does — without the `# ` markers; nil for a name that is not bundled.
    public static func documentation(of name: String) -> String? {
        guard let yaml = all.first(where: { $0.name == name })?.yaml else { return nil }
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).prefix { $0.hasPrefix("#") }
        return lines.map { $0.dropFirst($0.hasPrefix("# ") ? 2 : 1) }.joined(separator: "\n")
    }
}
