import CLibEvent
import Foundation
import MockMXScenario

/// An OpenSSL server context for one scenario's TLS settings, with the certificate it presents.
final class TLSContext {
    let context: OpaquePointer
    /// SHA-256 of the certificate (DER), `AB:CD:…`, so a client test can pin it.
    let fingerprint: String

    init(settings: TLSSettings, hostname: String, authority: CertificateAuthority) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSContext.failure("SSL_CTX_new") }
        self.context = context
        do {
            try TLSContext.configureVersions(context, settings)
            let certificate: OpaquePointer
            switch settings.certificate {
            case .files(let certificateFile, let keyFile):
                guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
                    throw TLSContext.failure("cannot load certificate \(certificateFile)")
                }
                guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1,
                    SSL_CTX_check_private_key(context) == 1
                else { throw TLSContext.failure("cannot load private key \(keyFile) for \(certificateFile)") }
                certificate = SSL_CTX_get0_certificate(context)
            default:
                let (generated, key) = try authority.leaf(for: hostname, kind: settings.certificate)
                SSL_CTX_use_certificate(context, generated)
                SSL_CTX_use_PrivateKey(context, key)
                if settings.certificate != .selfSigned { mockmx_ssl_ctx_add1_chain_cert(context, authority.certificate) }
                certificate = generated
            }
            fingerprint = CertificateAuthority.fingerprint(certificate)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
    }

    deinit { SSL_CTX_free(context) }

    private static func configureVersions(_ context: OpaquePointer, _ settings: TLSSettings) throws {
        func number(_ version: TLSSettings.Version) -> Int32 {
            switch version {
            case .tls1_0: TLS1_VERSION
            case .tls1_1: TLS1_1_VERSION
            case .tls1_2: TLS1_2_VERSION
            case .tls1_3: TLS1_3_VERSION
            }
        }
        if let minimum = settings.minimumVersion { mockmx_ssl_ctx_set_min_proto(context, number(minimum)) }
        if let maximum = settings.maximumVersion { mockmx_ssl_ctx_set_max_proto(context, number(maximum)) }
        // OpenSSL 3 refuses TLS < 1.2 at its default security level; an old host is what was asked for.
        let legacy = [settings.minimumVersion, settings.maximumVersion].contains { $0.map { $0 < .tls1_2 } ?? false }
        if legacy { SSL_CTX_set_security_level(context, 0) }
        if let ciphers = settings.ciphers ?? (legacy ? "DEFAULT" : nil) {
            guard SSL_CTX_set_cipher_list(context, ciphers + (legacy ? ":@SECLEVEL=0" : "")) == 1 else {
                throw failure("no usable cipher in '\(ciphers)'")
            }
        }
    }

    static func failure(_ what: String) -> HostError {
        HostError("TLS: \(what): \(openSSLErrors())")
    }

    /// The OpenSSL error queue as text (and emptied).
    static func openSSLErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 { messages.append(describe(code)) }
        return messages.isEmpty ? "no detail" : messages.joined(separator: "; ")
    }

    static func describe(_ code: UInt) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
