import Foundation
import MockMXVerdicts

/// With a spool directory every ended session is also written there, in the one session shape, as
/// `sessions/<id>.json`: what `mockmx verdicts DIR` judges offline, after the host is gone.
public enum SessionSpool {
    public static func directory(in spool: URL) -> URL {
        spool.appendingPathComponent("sessions", isDirectory: true)
    }

    static func write(_ session: RecordedSession, to spool: URL) throws {
        let directory = directory(in: spool)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(session) + Data([0x0A]))
            .write(to: directory.appendingPathComponent("\(session.id).json"), options: .atomic)
    }

    /// The sessions in `directory` (a spool, or its `sessions` folder), in file-name order. Throws naming the
    /// first file that is not a session of a format this mockmx reads.
    public static func read(_ directory: String) throws -> [RecordedSession] {
        var url = URL(fileURLWithPath: directory, isDirectory: true)
        var isDirectory: ObjCBool = false
        let nested = SessionSpool.directory(in: url)
        if FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = nested
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".json") }.sorted()
        let decoder = JSONDecoder()
        return try names.map { name in
            let file = url.appendingPathComponent(name)
            do {
                return try decoder.decode(RecordedSession.self, from: Data(contentsOf: file))
            } catch let error as DecodingError {
                throw HostError("\(file.path): not a mockmx session file: \(SessionSpool.describe(error))")
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

extension HostRuntime {
    /// On the loop, like a message's spool files: a session file is small beside the messages it may carry.
    /// Unlike a message nothing was acknowledged on the strength of it, so a failed write only leaves the
    /// session out of an offline judgment (the live API still has it).
    func spoolSession(_ record: SessionRecord, to spool: URL) {
        let ids = messages.all.filter { $0.sessionID == record.id }.map(\.id)
        try? SessionSpool.write(record.recorded(messages: ids), to: spool)
    }
}
