import ArgumentParser

@main
struct MockMXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mockmx",
        abstract: "A scriptable remote mail host for testing programs that send mail.",
        subcommands: [Serve.self, Check.self, Scenarios.self, Health.self, Verdicts.self, Diff.self, Record.self],
        defaultSubcommand: Serve.self
    )
}
