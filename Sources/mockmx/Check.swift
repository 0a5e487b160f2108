import ArgumentParser
import Foundation
import MockMXScenario

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate scenario files; every error as FILE:LINE:COLUMN: error: PATH: MESSAGE.")

    @Argument(help: "Scenario files (or bundled scenario names).")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one scenario file") }
    }

    func run() throws {
        var failed = false
        for file in files {
            do {
                let scenario = try ScenarioLoader.resolve(file)
                let domains = scenario.dns.map { ", \($0.domains.count) DNS domain(s)" } ?? ""
                print("\(file): ok (\(scenario.rules.count) rule(s)\(domains))")
            } catch {
                failed = true
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }
}
