import Foundation
import MockMXVerdicts
import StrictJSON

/// With a spool directory every ended session is also written there, in the one session shape, as
/// `sessions/<id>.json`: what `mockmx verdicts DIR` judges offline, after the host is gone.
public enum SessionSpool {
    public static func directory(in spool: URL) -> URL {
        spool.appendingPathComponent("sessions", isDirectory: true)
    }

    /// On the spool thread, after the session's messages.
    static func write(_ session: RecordedSession, to spool: String) throws {
        let directory = spool + "/sessions"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var file = try JSONBytesEncoder().encode(session)
        file.append(0x0A)
        try file.withUnsafeBytes { bytes in
            try SpoolWriter.write(bytes, to: directory, name: "\(session.id).json", atomically: true)
        }
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

    /// The Message-ID of every message the sessions delivered whose `.eml` is in the spool, by queue id: how
    /// duplicates are told offline as the live host tells them.
    public static func messageIDs(in directory: String, for sessions: [RecordedSession]) -> [String: String] {
        var root = URL(fileURLWithPath: directory, isDirectory: true)
        if !FileManager.default.fileExists(atPath: SessionSpool.directory(in: root).path) {
            root = root.deletingLastPathComponent()
        }
        var identities: [String: String] = [:]
        for id in sessions.flatMap(\.messages) {
            guard let content = FileManager.default.contents(atPath: root.appendingPathComponent("\(id).eml").path),
                let messageID = MessageIdentity.messageID(in: Array(content))
            else { continue }
            identities[id] = messageID
        }
        return identities
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
