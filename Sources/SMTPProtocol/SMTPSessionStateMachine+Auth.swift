/// One AUTH exchange in progress (RFC 4954).
struct SMTPAuthExchange: Sendable {
    enum Mechanism: String, Sendable {
        case plain = "PLAIN", login = "LOGIN", cramMD5 = "CRAM-MD5"
    }

    var mechanism: Mechanism
    var username: String?
    /// The CRAM-MD5 challenge as sent (before base64).
    var challenge: [UInt8] = []
}

extension SMTPSessionStateMachine {
    func auth(arguments: [UInt8], event: SMTPEvent) -> Proposal {
        if proxied { return relayedAuth(arguments: arguments, event: event) }
        func refuse(_ code: Int, _ enhanced: String, _ text: String) -> Proposal {
            .noEffect(event, reply(code, enhanced, text))
        }
        guard heloName != nil else { return refuse(503, "5.5.1", "Error: send HELO/EHLO first") }
        guard authenticatedUser == nil else { return refuse(503, "5.5.1", "Error: already authenticated") }
        guard transaction == nil else { return refuse(503, "5.5.1", "Error: MAIL transaction in progress") }
        let words = arguments.split(separator: 0x20)
        guard let first = words.first, words.count <= 2 else { return refuse(501, "5.5.4", "Syntax: AUTH mechanism") }
        let name = String(decoding: first, as: UTF8.self).uppercased()
        guard (configuration.parameters(of: "AUTH") ?? []).contains(name),
            let mechanism = SMTPAuthExchange.Mechanism(rawValue: name)
        else { return refuse(504, "5.5.4", "Unrecognized authentication type") }
        if configuration.auth.requireTLS, !isTLSActive {
            return refuse(538, "5.7.11", "Encryption required for requested authentication mechanism")
        }
        var exchange = SMTPAuthExchange(mechanism: mechanism)
        let initial = words.count == 2 ? Array(words[1]) : nil
        switch mechanism {
        case .plain:
            guard let initial else { return challenge(exchange, [], event: event) }
            return respond(exchange, initial, event: event)
        case .login:
            guard let initial else { return challenge(exchange, Array("Username:".utf8), event: event) }
            return respond(exchange, initial, event: event)
        case .cramMD5:
            guard initial == nil else { return refuse(501, "5.5.4", "CRAM-MD5 takes no initial response") }
            exchange.challenge = Array("<\(sessionID).\(acceptedMessages)@\(configuration.hostname)>".utf8)
            return challenge(exchange, exchange.challenge, event: event)
        }
    }

    /// The next line while an exchange is in progress: a response, or `*` to cancel.
    mutating func nextAuthResponse(_ exchange: SMTPAuthExchange) -> Proposal? {
        guard let (line, _) = takeCommandLine() else { return isDiscardingLongLine ? nextProposal() : nil }
        phase = .commands
        if line == [UInt8(ascii: "*")] {
            return .noEffect(.authResponse(line: line), reply(501, "5.7.0", "Authentication aborted"))
        }
        return respond(exchange, line, event: .authResponse(line: line))
    }

    private func respond(_ exchange: SMTPAuthExchange, _ response: [UInt8], event: SMTPEvent) -> Proposal {
        // `=` is the empty initial response (RFC 4954 §4).
        guard let decoded = response == [UInt8(ascii: "=")] ? [] : Base64.decode(response) else {
            return .noEffect(event, reply(501, "5.5.2", "Cannot decode response"))
        }
        var exchange = exchange
        switch exchange.mechanism {
        case .plain:
            // authzid NUL authcid NUL passwd (RFC 4616)
            let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return verdict(user: nil, event: event) }
            let user = String(decoding: parts[1], as: UTF8.self)
            let password = String(decoding: parts[2], as: UTF8.self)
            return verdict(user: accepts(user, password) ? user : nil, event: event)
        case .login:
            guard let user = exchange.username else {
                exchange.username = String(decoding: decoded, as: UTF8.self)
                return challenge(exchange, Array("Password:".utf8), event: event)
            }
            let password = String(decoding: decoded, as: UTF8.self)
            return verdict(user: accepts(user, password) ? user : nil, event: event)
        case .cramMD5:
            guard let space = decoded.lastIndex(of: 0x20) else { return verdict(user: nil, event: event) }
            let user = String(decoding: decoded[..<space], as: UTF8.self)
            let digest = String(decoding: decoded[(space + 1)...], as: UTF8.self).lowercased()
            let auth = configuration.auth
            let valid = auth.acceptAny
                || auth.users[user].map {
                    MD5.hex(MD5.hmac(key: Array($0.utf8), message: exchange.challenge)) == digest
                } ?? false
            return verdict(user: valid ? user : nil, event: event)
        }
    }

    private func accepts(_ user: String, _ password: String) -> Bool {
        configuration.auth.acceptAny || configuration.auth.users[user] == password
    }

    /// A `334` with `data` in base64 (empty for PLAIN without an initial response); committed, the
    /// exchange waits for the client's answer.
    private func challenge(_ exchange: SMTPAuthExchange, _ data: [UInt8], event: SMTPEvent) -> Proposal {
        Proposal(
            event, SMTPReply(334, nil, data.isEmpty ? "" : Base64.encode(data)), effect: .authChallenge(exchange))
    }

    private func verdict(user: String?, event: SMTPEvent) -> Proposal {
        guard let user else { return .noEffect(event, reply(535, "5.7.8", "Error: authentication failed")) }
        return Proposal(event, reply(235, "2.7.0", "Authentication successful"), effect: .authVerdict(user: user))
    }
}
