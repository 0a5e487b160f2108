import CLibEvent
import Foundation
import MockMXScenario

/// Certificates made at start-up: one CA per host, leaf certificates per host name and kind.
final class CertificateAuthority {
    let key: OpaquePointer
    let certificate: OpaquePointer
    /// The CA certificate as a PEM file, for clients that should trust the generated chain.
    let pemPath: String
    private var leaves: [String: (OpaquePointer, OpaquePointer)] = [:]
    private var serial = 1

    init() throws {
        guard let key = mockmx_ec_p256_key() else { throw TLSContext.failure("cannot generate a key") }
        self.key = key
        certificate = try CertificateAuthority.make(
            commonName: "mockmx test CA", dnsName: nil, key: key, issuer: nil, issuerKey: key, serial: 1,
            validFrom: -3600, validFor: 3650 * 86_400)
        pemPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("mockmx-ca-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pem").path
        guard let file = fopen(pemPath, "w") else { throw HostError("cannot write \(pemPath)") }
        PEM_write_X509(file, certificate)
        fclose(file)
    }

    deinit {
        for (certificate, key) in leaves.values {
            X509_free(certificate)
            EVP_PKEY_free(key)
        }
        X509_free(certificate)
        EVP_PKEY_free(key)
        unlink(pemPath)
    }

    /// A certificate and key for `hostname`, made once per kind.
    func leaf(for hostname: String, kind: TLSSettings.Certificate) throws -> (OpaquePointer, OpaquePointer) {
        let cacheKey = "\(kind)|\(hostname)"
        if let cached = leaves[cacheKey] { return cached }
        guard let leafKey = mockmx_ec_p256_key() else { throw TLSContext.failure("cannot generate a key") }
        serial += 1
        let name = kind == .wrongHostname ? "wrong-host.invalid" : hostname
        let expired = kind == .expired
        let certificate = try CertificateAuthority.make(
            commonName: name, dnsName: name, key: leafKey,
            issuer: kind == .selfSigned ? nil : self.certificate, issuerKey: kind == .selfSigned ? leafKey : key,
            serial: serial, validFrom: expired ? -30 * 86_400 : -3600, validFor: expired ? 29 * 86_400 : 825 * 86_400)
        leaves[cacheKey] = (certificate, leafKey)
        return (certificate, leafKey)
    }

    private static func make(
        commonName: String, dnsName: String?, key: OpaquePointer, issuer: OpaquePointer?, issuerKey: OpaquePointer,
        serial: Int, validFrom: Int, validFor: Int
    ) throws -> OpaquePointer {
        guard let certificate = X509_new() else { throw TLSContext.failure("X509_new") }
        X509_set_version(certificate, 2)
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial)
        X509_gmtime_adj(X509_getm_notBefore(certificate), validFrom)
        X509_gmtime_adj(X509_getm_notAfter(certificate), validFrom + validFor)
        X509_set_pubkey(certificate, key)
        let subject = X509_get_subject_name(certificate)
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, commonName, -1, -1, 0)
        X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0) } ?? subject)

        var extensionContext = X509V3_CTX()
        X509V3_set_ctx(&extensionContext, issuer ?? certificate, certificate, nil, nil, 0)
        var extensions: [(Int32, String)] = []
        if let dnsName {
            extensions.append((NID_subject_alt_name, "DNS:\(dnsName)"))
            extensions.append((NID_basic_constraints, "critical,CA:FALSE"))
            extensions.append((NID_ext_key_usage, "serverAuth"))
        } else {
            extensions.append((NID_basic_constraints, "critical,CA:TRUE"))
            extensions.append((NID_key_usage, "critical,keyCertSign,cRLSign"))
        }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &extensionContext, nid, value) else {
                X509_free(certificate)
                throw TLSContext.failure("certificate extension \(value)")
            }
            X509_add_ext(certificate, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(certificate, issuerKey, EVP_sha256()) > 0 else {
            X509_free(certificate)
            throw TLSContext.failure("X509_sign")
        }
        return certificate
    }

    static func fingerprint(_ certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(certificate, EVP_sha256(), &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
