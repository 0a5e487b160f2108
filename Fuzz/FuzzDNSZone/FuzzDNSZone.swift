import FuzzSupport
import MockMXDNS
import MockMXScenario

/// A scenario's `dns:` section fed arbitrary text; after a NUL byte, lines of names asked as DNS questions
/// (libevent hands mockmx query names as arbitrary bytes).
///
/// Invariants: loading never crashes and refuses with located diagnostics; an accepted zone holds only names
/// that parse back to themselves and fit on the wire, null MX records alone; every reply is deterministic,
/// answers only the type asked (or ANY) with RDATA of the type's size, and a name outside the zone is refused.
enum DNSZoneFuzzer {
    static let questionTypes: [UInt16] = [DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.mx, DNSRecordType.any, 16]

    static func run(_ data: [UInt8]) {
        let separator = data.firstIndex(of: 0) ?? data.endIndex
        let yaml = String(decoding: data[..<separator], as: UTF8.self)
        let zone: DNSZone
        do {
            zone = try ScenarioLoader.load(yaml: yaml, file: "fuzz.yaml").dns ?? DNSZone()
        } catch {
            invariant(!error.diagnostics.isEmpty, "refused without a diagnostic")
            for diagnostic in error.diagnostics {
                invariant(diagnostic.file == "fuzz.yaml" && diagnostic.line >= 0, "diagnostic \(diagnostic)")
                invariant(!diagnostic.message.isEmpty, "a diagnostic without a message")
            }
            return
        }
        for (name, domain) in zone.domains {
            guard let parsed = try? DomainName(parsing: name) else {
                invariant(false, "zone holds '\(name)', which does not parse")
                return
            }
            invariant(parsed.description == name && !parsed.isRoot, "zone name '\(name)' reads back as '\(parsed)'")
            invariant(parsed.wireLength <= DomainName.maximumWireLength, "'\(name)' is too long for the wire")
            if case let .records(records) = domain {
                let exchangers = records.mailExchangers
                invariant(!exchangers.contains(where: \.isNull) || exchangers.count == 1, "null MX beside others")
                invariant(records.ttl <= UInt32(Int32.max), "TTL \(records.ttl)")
            }
            for type in questionTypes { check(zone, name: name, type: type) }
            check(zone, name: "below." + name, type: DNSRecordType.a)
        }
        for line in data[separator...].dropFirst().split(separator: 0x0A) {
            let name = DomainName.queried(line)
            for type in questionTypes { check(zone, name: name, type: type) }
        }
        check(zone, name: "outside-every-zone.invalid", type: DNSRecordType.mx)
        invariant(
            zone.domains["invalid"] != nil || zone.domains["outside-every-zone.invalid"] != nil
                || zone.reply(name: "outside-every-zone.invalid", type: DNSRecordType.mx, recordClass: 1) == .refused,
            "a name outside the zone was not refused")
    }

    private static func check(_ zone: DNSZone, name: String, type: UInt16) {
        let reply = zone.reply(name: name, type: type, recordClass: DNSRecordType.internetClass)
        invariant(reply == zone.reply(name: name, type: type, recordClass: DNSRecordType.internetClass),
                  "two replies to one question for '\(name)'")
        invariant(
            reply.answers.isEmpty || reply.responseCode == .noError,
            "answers with \(String(describing: reply.responseCode))")
        for answer in reply.answers {
            invariant(type == DNSRecordType.any || answer.type == type, "a \(answer.type) answer to a \(type) question")
            switch answer.type {
            case DNSRecordType.a: invariant(answer.data.count == 4, "A RDATA of \(answer.data.count) bytes")
            case DNSRecordType.aaaa: invariant(answer.data.count == 16, "AAAA RDATA of \(answer.data.count) bytes")
            case DNSRecordType.mx:
                invariant(answer.data.count >= 3 && answer.data.count <= 2 + DomainName.maximumWireLength,
                          "MX RDATA of \(answer.data.count) bytes")
            default: invariant(false, "an answer of type \(answer.type)")
            }
        }
        invariant(
            zone.reply(name: name, type: type, recordClass: 3) == .refused, "a CHAOS-class question was not refused")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    DNSZoneFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzDNSZoneReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), DNSZoneFuzzer.run)
    }
}
#endif
