/// How the host does TLS (STARTTLS and implicit-TLS listeners): its certificate and what it negotiates.
public struct TLSSettings: Sendable, Equatable {
    /// The certificate the host presents. Generated ones are made at start-up for the host's name;
    /// all but `selfSigned` are signed by a CA generated alongside, so a client that trusts that CA
    /// sees exactly one thing wrong (or nothing, for `valid`).
    public enum Certificate: Sendable, Equatable {
        case selfSigned
        case valid
        case expired
        case wrongHostname
        /// PEM files given by the user.
        case files(certificate: String, key: String)
    }

    public enum Version: String, Sendable, CaseIterable, Comparable {
        case tls1_0 = "1.0", tls1_1 = "1.1", tls1_2 = "1.2", tls1_3 = "1.3"

        public static func < (lhs: Version, rhs: Version) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var certificate: Certificate
    /// Lowest and highest protocol versions offered (e.g. a host stuck on TLS 1.0); nil = OpenSSL's default.
    public var minimumVersion: Version?
    public var maximumVersion: Version?
    /// An OpenSSL cipher list for TLS ≤ 1.2, e.g. `"AES128-SHA"`.
    public var ciphers: String?

    public init(
        certificate: Certificate = .selfSigned, minimumVersion: Version? = nil, maximumVersion: Version? = nil,
        ciphers: String? = nil
    ) {
        self.certificate = certificate
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.ciphers = ciphers
    }
}
