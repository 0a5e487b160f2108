import ArgumentParser
import MockMXScenario

struct Scenarios: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the bundled scenarios with their summaries.")

    func run() throws {
        let width = BundledScenarios.all.map(\.name.count).max() ?? 0
        for entry in BundledScenarios.all {
            let summary = (try? ScenarioLoader.resolve(entry.name).summary) ?? nil
            print(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (summary ?? ""))
        }
    }
}
