import Foundation

/// What `serve --ready-file PATH` writes once every listener and the control API listen, and what `health`
/// and test harnesses read back: the pid, each SMTP listener as bound (port 0 resolved) and the API's address.
/// Its keys are documented (README.md, docs/testing-from-other-languages.md), so they do not change; an absent
/// value is written as `null`, never left out.
public struct ReadyFile: Codable, Sendable, Equatable {
    /// An SMTP listener as bound.
    public struct Listener: Codable, Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `HOST:PORT`, brackets for IPv6.
        public var address: String
        public var scenario: String
        /// Whether the listener speaks TLS from the first byte (`smtps://`).
        public var implicitTLS: Bool
        /// SHA-256 fingerprint of the certificate presented, when the scenario uses TLS.
        public var tlsFingerprint: String?
        /// PEM file of the CA that signed the generated certificate, for clients that verify the chain.
        public var tlsAuthority: String?

        public init(
            host: String, port: Int, address: String, scenario: String, implicitTLS: Bool,
            tlsFingerprint: String? = nil, tlsAuthority: String? = nil
        ) {
            self.host = host
            self.port = port
            self.address = address
            self.scenario = scenario
            self.implicitTLS = implicitTLS
            self.tlsFingerprint = tlsFingerprint
            self.tlsAuthority = tlsAuthority
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(host, forKey: .host)
            try container.encode(port, forKey: .port)
            try container.encode(address, forKey: .address)
            try container.encode(scenario, forKey: .scenario)
            try container.encode(implicitTLS, forKey: .implicitTLS)
            try container.encode(tlsFingerprint, forKey: .tlsFingerprint)
            try container.encode(tlsAuthority, forKey: .tlsAuthority)
        }
    }

    /// The control API as bound.
    public struct Endpoint: Codable, Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `HOST:PORT`, brackets for IPv6.
        public var address: String

        public init(host: String, port: Int, address: String) {
            self.host = host
            self.port = port
            self.address = address
        }
    }

    /// Why bytes are not a ready file, in words for `health`'s one-line answer.
    public struct Malformed: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public var pid: Int
    public var smtp: [Listener]
    /// Nil (`null` in the file) when serve runs without the control API (`--api none`).
    public var api: Endpoint?
    /// The DNS responder (UDP); nil (`null`) without `--dns`.
    public var dns: Endpoint?

    public init(pid: Int, smtp: [Listener], api: Endpoint?, dns: Endpoint? = nil) {
        self.pid = pid
        self.smtp = smtp
        self.api = api
        self.dns = dns
    }

    /// `api` must be there, if only as `null`: a file without it is some other JSON, not one serve wrote.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        api = try container.decode(Endpoint?.self, forKey: .api)
        pid = try container.decode(Int.self, forKey: .pid)
        smtp = try container.decode([Listener].self, forKey: .smtp)
        // Files from before the DNS responder have no `dns` key.
        dns = try container.decodeIfPresent(Endpoint.self, forKey: .dns)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pid, forKey: .pid)
        try container.encode(smtp, forKey: .smtp)
        try container.encode(api, forKey: .api)
        try container.encode(dns, forKey: .dns)
    }

    private enum CodingKeys: String, CodingKey {
        case pid, smtp, api, dns
    }

    /// Reads a ready file's bytes.
    public init(json: Data) throws(Malformed) {
        do {
            self = try JSONDecoder().decode(ReadyFile.self, from: json)
        } catch let error as DecodingError {
            throw Malformed(description: ReadyFile.describe(error))
        } catch {
            throw Malformed(description: "\(error)")
        }
    }

    /// The file's bytes: keys sorted and one per line, so a person reading it finds them where they look.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    private static func describe(_ error: DecodingError) -> String {
        /// ` in smtp[0].port`, or nothing at the top level.
        func place(_ path: [any CodingKey]) -> String {
            guard !path.isEmpty else { return "" }
            var text = ""
            for key in path {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return " in " + text
        }
        switch error {
        case .keyNotFound(let key, let context): return "no \"\(key.stringValue)\" entry\(place(context.codingPath))"
        // Not an object at all (`[]`, a string): nothing in it can be the entry `health` looks for.
        case .typeMismatch(_, let context) where context.codingPath.isEmpty: return "no \"api\" entry"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "unexpected value\(place(context.codingPath))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "not JSON"
        case .dataCorrupted(let context): return "unexpected value\(place(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
