import ArgumentParser
import MockMXScenario

struct Scenarios: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the bundled scenarios with their summaries, or show one scenario's documentation.")

    @Argument(help: "A bundled scenario whose documentation to show (what it reproduces, what a correct sender does).")
    var name: String?

    func validate() throws {
        if let name, BundledScenarios.documentation(of: name) == nil {
            throw ValidationError(
                "no bundled scenario named '\(name)'; bundled: "
                    + BundledScenarios.all.map(\.name).joined(separator: ", "))
        }
    }

    func run() throws {
        if let name {
            print(BundledScenarios.documentation(of: name) ?? "")
            return
        }
        let width = BundledScenarios.all.map(\.name.count).max() ?? 0
        for entry in BundledScenarios.all {
            let summary = (try? ScenarioLoader.resolve(entry.name).summary) ?? nil
            print(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (summary ?? ""))
        }
        // The exam host's domains are what a user points a sender at: shown here rather than behind a lookup.
        let examTable = (BundledScenarios.documentation(of: "exam") ?? "")
            .split(separator: "\n").filter { $0.hasPrefix("|") }
        if !examTable.isEmpty {
            print("\nexam: one address of each recipient domain tests one sender behaviour (mockmx scenarios exam):")
            for line in examTable { print(line) }
        }
    }
}
