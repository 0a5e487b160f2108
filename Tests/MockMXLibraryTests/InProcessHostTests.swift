import Foundation
import MockMXDNS
import MockMXScenario
import MockMXServer
import SMTPProtocol
import Testing

/// The in-process host as the README shows it: start on port 0 with a bundled scenario, let a real
/// client send, wait for the message (no sleeps), read the transcript, reset, stop.
@Suite struct InProcessHostTests {
    @Test func greylistedThenDeliveredOnRetry() async throws {
        var configuration = HostConfiguration(listeners: [
            ListenerConfiguration(address: "127.0.0.1:0", scenario: try ScenarioLoader.resolve("greylist")),
        ])
        configuration.clockScale = 0.001  // the 5-minute greylisting lasts 0.3 s
        let host = try MockMXHost(configuration)
        let port = try host.start()[0].port
        defer { host.shutdown() }

        // The code under test: a sender that retries after a temporary refusal.
        let script = """
            import smtplib, sys, time
            for attempt in range(2):
                try:
                    with smtplib.SMTP("127.0.0.1", \(port), timeout=10) as s:
                        s.sendmail("app@example.com", ["someone@example.org"], b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
                    sys.exit(0)
                except smtplib.SMTPRecipientsRefused:
                    time.sleep(0.4)  # a sender's retry interval, scaled as the host's clock is
            sys.exit(1)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        #expect(await host.messages.wait(forTotal: 1, timeout: .seconds(10)))
        #expect(host.messages.all[0].recipients == ["someone@example.org"])
        let first = host.sessions.all[0].transcript.map(\.text)
        #expect(first.contains("451 4.7.1 Greylisted, please come back in 00:05:00"))

        host.messages.removeAll()
        #expect(host.messages.all.isEmpty)
    }

    @Test func scenarioBuiltInCode() async throws {
        var scenario = Scenario.defaultPersona
        scenario.rules = [
            Rule(index: 0, location: "code", name: nil, event: "data.end", conditions: RuleConditions(),
                 actions: [.reply(SMTPReply(text: ["451 4.3.0 try later"])!)]),
        ]
        let host = try MockMXHost(HostConfiguration(listeners: [ListenerConfiguration(address: "127.0.0.1:0", scenario: scenario)]))
        let port = try host.start()[0].port
        defer { host.shutdown() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import smtplib
            try:
                smtplib.SMTP("127.0.0.1", \(port), timeout=10).sendmail("a@b.example", ["c@d.example"], b"x\\r\\n")
            except smtplib.SMTPDataError as e:
                print(e.smtp_code)
            """]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "451")
        #expect(host.messages.all.isEmpty)
    }

    /// Test domains built in code, answered on a free UDP port, the questions read back from the host.
    @Test func dnsRecordsBuiltInCode() throws {
        var zone = DNSZone()
        zone.set(try DomainName(parsing: "example.test"), .records(DNSRecordSet(
            ttl: 5, mailExchangers: [MailExchanger(preference: 10, host: try DomainName(parsing: "mx.example.test"))])))
        zone.set(
            try DomainName(parsing: "mx.example.test"), .records(DNSRecordSet(ipv4: [IPAddress(parsing: "127.0.0.2")!])))
        let host = try MockMXHost(HostConfiguration(
            listeners: [ListenerConfiguration(address: "127.0.0.1:0")],
            dns: DNSResponderConfiguration(address: "127.0.0.1:0", zone: zone)))
        try host.start()
        defer { host.shutdown() }
        let port = try #require(host.dns?.port)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dig", "@127.0.0.1", "-p", String(port), "+short", "+time=2", "example.test", "MX"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(printed == "10 mx.example.test.\n")
        let asked = try #require(host.dnsQueries.all.first)
        #expect(asked.name == "example.test" && asked.type == "MX" && asked.responseCode == "NOERROR")
        #expect(asked.answers == ["10 mx.example.test."])
    }
}
