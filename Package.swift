// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "mockmx",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mockmx", targets: ["mockmx"]),
        /// The in-process host for Swift test suites.
        .library(name: "MockMX", targets: ["MockMXServer", "MockMXScenario", "SMTPProtocol", "MockMXDNS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibEvent",
            pkgConfig: "libevent",
            providers: [.apt(["libevent-dev", "libssl-dev"])]
        ),
        // Pure SMTP: framing, parsing, replies and the session state machine. No I/O.
        .target(name: "SMTPProtocol"),
        // Pure DNS: domain names, the test domains' records, the reply to a question. No I/O.
        .target(name: "MockMXDNS"),
        // Pure: scenario model, YAML loading with located errors, rule matching.
        .target(
            name: "MockMXScenario",
            dependencies: ["SMTPProtocol", "MockMXDNS", .product(name: "Yams", package: "Yams")]
        ),
        // Pure: RFC 8259 syntax with located errors, for the control API's JSON bodies. Its own module so that
        // its fuzz target builds without libevent and the server.
        .target(name: "StrictJSON"),
        // libevent transport, message store, transcripts, control API, in-process API.
        .target(
            name: "MockMXServer",
            dependencies: ["CLibEvent", "SMTPProtocol", "MockMXScenario", "StrictJSON", "MockMXDNS"]
        ),
        // Pure: the CLI's settings from flags, MOCKMX_* variables and defaults; JSON log lines; the health probe.
        .target(name: "MockMXCommandLine", dependencies: ["MockMXScenario", "SMTPProtocol"]),
        .executableTarget(
            name: "mockmx",
            dependencies: [
                "MockMXServer", "MockMXScenario", "MockMXCommandLine", "MockMXDNS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets (scripts/fuzz); plain builds make replayers that run the files given as arguments.
        .target(name: "FuzzSupport", path: "Fuzz/Support"),
        .executableTarget(
            name: "FuzzSMTPSession", dependencies: ["FuzzSupport", "SMTPProtocol"], path: "Fuzz/FuzzSMTPSession"),
        .executableTarget(
            name: "FuzzScenarioLoader", dependencies: ["FuzzSupport", "MockMXScenario", "SMTPProtocol"],
            path: "Fuzz/FuzzScenarioLoader"),
        .executableTarget(
            name: "FuzzFirewallFilter", dependencies: ["FuzzSupport", "MockMXScenario", "SMTPProtocol"],
            path: "Fuzz/FuzzFirewallFilter"),
        .executableTarget(
            name: "FuzzJSONSyntax", dependencies: ["FuzzSupport", "StrictJSON"], path: "Fuzz/FuzzJSONSyntax"),
        .executableTarget(
            name: "FuzzDNSZone", dependencies: ["FuzzSupport", "MockMXScenario", "MockMXDNS"],
            path: "Fuzz/FuzzDNSZone"),
        .executableTarget(
            name: "FuzzServeSettings", dependencies: ["FuzzSupport", "MockMXCommandLine"],
            path: "Fuzz/FuzzServeSettings"),
        .executableTarget(
            name: "FuzzReplyReader", dependencies: ["FuzzSupport", "SMTPProtocol"], path: "Fuzz/FuzzReplyReader"),
        .testTarget(name: "SMTPProtocolTests", dependencies: ["SMTPProtocol"]),
        .testTarget(name: "MockMXScenarioTests", dependencies: ["MockMXScenario", "SMTPProtocol", "MockMXDNS"]),
        .testTarget(name: "MockMXServerTests", dependencies: ["MockMXServer", "MockMXScenario", "SMTPProtocol"]),
        .testTarget(name: "MockMXCommandLineTests", dependencies: ["MockMXCommandLine", "MockMXScenario"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "MockMXDNSTests", dependencies: ["MockMXDNS"]),
        // Uses exactly what the MockMX library product exports, the way a user's test suite does.
        .testTarget(
            name: "MockMXLibraryTests", dependencies: ["MockMXServer", "MockMXScenario", "SMTPProtocol", "MockMXDNS"]),
    ],
    swiftLanguageModes: [.v6]
)
