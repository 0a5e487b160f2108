import Foundation
import MockMXVerdicts

/// `VerdictsBenchmark DIR`: decodes the session files of a spool (`DIR/sessions/*.json`, or `DIR/*.json`), then
/// judges them five times and prints the best time for judging alone beside the time decoding took. Run by
/// `Benchmarks/verdicts` on sessions a real client produced.
@main
enum VerdictsBenchmark {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: VerdictsBenchmark SPOOL-DIRECTORY\n".utf8))
            exit(64)
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[1], isDirectory: true)
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("sessions").path) {
            directory = directory.appendingPathComponent("sessions")
        }
        let clock = ContinuousClock()
        let decodeStart = clock.now
        let decoder = JSONDecoder()
        let sessions = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
            .map { try decoder.decode(RecordedSession.self, from: Data(contentsOf: directory.appendingPathComponent($0))) }
        let decoding = clock.now - decodeStart
        var best = Duration.seconds(3600)
        var report = VerdictReport([])
        for _ in 0..<5 {
            let start = clock.now
            report = VerdictEngine().judge(sessions)
            best = min(best, clock.now - start)
        }
        let entries = sessions.reduce(0) { $0 + $1.transcript.count }
        print(
            "judged \(sessions.count) sessions (\(entries) transcript entries, \(report.verdicts.count) verdicts) in "
                + "\(seconds(best)) s (best of 5); reading and decoding their files took \(seconds(decoding)) s")
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
