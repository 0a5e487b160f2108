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

    /// The DNS lookups a spool's `dns.jsonl` holds (none when it has no such file), oldest first. Throws naming
    /// the file and line that is not a lookup.
    public static func dnsLookups(in directory: String) throws -> [DNSLookup] {
        var root = URL(fileURLWithPath: directory, isDirectory: true)
        if !FileManager.default.fileExists(atPath: SessionSpool.directory(in: root).path) {
            root = root.deletingLastPathComponent()
        }
        let file = root.appendingPathComponent(DNSSpool.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        return try DNSSpool.decode(data, file: file.path)
    }

    static func describe(_ error: DecodingError) -> String {
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

/// `DIR/dns.jsonl`: one DNS lookup per line, appended as the responder answers (on the loop; a lookup is small
/// and rare beside the mail). A failed write only leaves the lookup out of an offline judgment.
final class DNSSpool {
    static let fileName = "dns.jsonl"
    private let url: URL
    private var handle: FileHandle?

    init(_ spool: URL) {
        self.url = spool.appendingPathComponent(DNSSpool.fileName)
    }

    deinit {
        try? handle?.close()
    }

    func append(_ lookup: DNSLookup) {
        guard var line = try? JSONBytesEncoder().encode(lookup) else { return }
        line.append(0x0A)
        if handle == nil {
            if !FileManager.default.fileExists(atPath: url.path) {
                FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            handle = try? FileHandle(forWritingTo: url)
            _ = try? handle?.seekToEnd()
        }
        try? handle?.write(contentsOf: line)
    }

    /// The lookups of a `dns.jsonl` file's bytes, a damaged line named by its file and number.
    static func decode(_ data: Data, file: String) throws -> [DNSLookup] {
        do {
            return try DNSLookup.lines(data)
        } catch {
            let why = (error.error as? DecodingError).map(SessionSpool.describe) ?? error.error.localizedDescription
            throw HostError("\(file):\(error.line): not a mockmx DNS lookup: \(why)")
        }
    }
}
