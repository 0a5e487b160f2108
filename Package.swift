// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "mockmx",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mockmx", targets: ["mockmx"]),
        /// The in-process host for Swift test suites.
        .library(name: "MockMX", targets: ["MockMXServer", "MockMXScenario", "SMTPProtocol", "MockMXDNS", "MockMXVerdicts"]),
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
        // Pure: judges the sender under test from recorded sessions (no libevent, no sockets).
        .target(name: "MockMXVerdicts"),
        // Pure: a bounded MIME reader (headers, encoded words, addresses, multipart bodies) for the
        // Mailpit-compatible API. Its own module so that its fuzz target builds without libevent.
        .target(name: "MailMIME"),
        // libevent transport, message store, transcripts, control API, in-process API.
        .target(
            name: "MockMXServer",
            dependencies: [
                "CLibEvent", "SMTPProtocol", "MockMXScenario", "StrictJSON", "MockMXDNS", "MockMXVerdicts", "MailMIME",
                "MockMXTranscripts",
            ],
            // The web UI's files, compiled in (WebUIAssets.swift).
            resources: [
                .embedInCode("WebUI/index.html"), .embedInCode("WebUI/app.js"), .embedInCode("WebUI/style.css"),
            ]
        ),
        // Pure: session transcripts compared as dialogues (golden files, `mockmx diff`, `/api/v1/diff`) and
        // turned into scenarios (`mockmx record`, `/api/v1/listeners/{id}/record`).
        .target(name: "MockMXTranscripts"),
        // Pure: the CLI's settings from flags, MOCKMX_* variables and defaults; JSON log lines; the health probe.
        .target(name: "MockMXCommandLine", dependencies: ["MockMXScenario", "SMTPProtocol"]),
        .executableTarget(
            name: "mockmx",
            dependencies: [
                "MockMXServer", "MockMXScenario", "MockMXCommandLine", "MockMXDNS", "MockMXVerdicts", "MockMXTranscripts",
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
            name: "FuzzVerdicts", dependencies: ["FuzzSupport", "MockMXVerdicts"], path: "Fuzz/FuzzVerdicts"),
        // Benchmarks/verdicts: how long judging a spool's sessions takes (not a test).
        .executableTarget(
            name: "VerdictsBenchmark", dependencies: ["MockMXVerdicts"], path: "Benchmarks/VerdictsBenchmark"),
        .executableTarget(name: "FuzzMIME", dependencies: ["FuzzSupport", "MailMIME"], path: "Fuzz/FuzzMIME"),
        .executableTarget(
            name: "FuzzReplyReader", dependencies: ["FuzzSupport", "SMTPProtocol"], path: "Fuzz/FuzzReplyReader"),
        .testTarget(name: "SMTPProtocolTests", dependencies: ["SMTPProtocol"]),
        .testTarget(name: "MockMXScenarioTests", dependencies: ["MockMXScenario", "SMTPProtocol", "MockMXDNS"]),
        .testTarget(
            name: "MockMXServerTests", dependencies: ["MockMXServer", "MockMXScenario", "SMTPProtocol", "MockMXVerdicts", "StrictJSON"]),
        .testTarget(name: "MockMXCommandLineTests", dependencies: ["MockMXCommandLine", "MockMXScenario"]),
        .testTarget(name: "MockMXTranscriptsTests", dependencies: ["MockMXTranscripts", "MockMXScenario"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "MockMXDNSTests", dependencies: ["MockMXDNS"]),
        .testTarget(name: "MockMXVerdictsTests", dependencies: ["MockMXVerdicts"]),
        .testTarget(name: "MailMIMETests", dependencies: ["MailMIME"]),
        // Uses exactly what the MockMX library product exports, the way a user's test suite does.
        .testTarget(
            name: "MockMXLibraryTests", dependencies: ["MockMXServer", "MockMXScenario", "SMTPProtocol", "MockMXDNS"]),
    ],
    swiftLanguageModes: [.v6]
)
