/// An SMTP-inspecting middlebox between client and host (`firewall:`), as a set of byte-level knobs.
///
/// This type only describes the filter; the transport applies it. The presets reproduce the devices
/// in docs/wire-facts.md ("Firewalls that inspect SMTP"); keys written next to `persona:` override the preset's values.
public struct FirewallConfiguration: Sendable, Equatable {
    /// Devices with a known, documented behaviour.
    public enum Persona: String, Sendable, CaseIterable {
        /// Cisco PIX Mailguard / `fixup protocol smtp`.
        case pixMailguard = "pix-mailguard"
        /// Cisco ASA `inspect esmtp` with the default policy map.
        case asaESMTP = "asa-esmtp"
    }

    /// How a command outside `allowCommands` (or in `denyCommands`) is overwritten in place, same length.
    public enum CommandRewrite: String, Sendable, CaseIterable {
        /// With `X`s, so the host answers `500` (early PIX, ASA).
        case xs = "x"
        /// With `NOOP` padded by `X`s, so the host answers `250` (later PIX versions).
        case noop
    }

    /// The preset the other fields started from, if any.
    public var persona: Persona?
    /// Every greeting character but `2`, `0`, space, CR and LF becomes `*`, hiding the host's software
    /// (`220 *********0****…`), as PIX and ASA do.
    public var maskBanner: Bool
    /// Upper-case verbs let through unchanged; nil lets every verb through.
    public var allowCommands: [String]?
    /// Upper-case verbs always overwritten, even when `allowCommands` is nil (ASA: STARTTLS).
    public var denyCommands: [String]
    public var disallowedCommandRewrite: CommandRewrite
    /// EHLO keywords replaced by `X`s with a running letter last (`XXXXXXXA` for STARTTLS).
    public var maskExtensions: [String]
    /// Also mask every EHLO keyword not in ``knownExtensionKeywords`` (ASA's default policy).
    public var maskUnknownExtensions: Bool
    /// EHLO keywords removed from the reply altogether.
    public var stripExtensions: [String]
    /// Upper-case verb after which everything the client sends is dropped (`XEXCH50`: the blob and all
    /// that follows never reaches the host, as with the ISA filter of KB 818222).
    public var swallowAfter: String?
    /// An end-of-data `CRLF.CRLF` split across TCP segments is dropped (the PIX bug).
    public var dropSplitDot: Bool
    /// A command line longer than this (octets, CRLF included) drops the connection.
    public var maxCommandLength: Int?
    /// More RCPT commands than this in a transaction drop the connection.
    public var maxRecipients: Int?

    public init(
        persona: Persona? = nil,
        maskBanner: Bool = false,
        allowCommands: [String]? = nil,
        denyCommands: [String] = [],
        disallowedCommandRewrite: CommandRewrite = .xs,
        maskExtensions: [String] = [],
        maskUnknownExtensions: Bool = false,
        stripExtensions: [String] = [],
        swallowAfter: String? = nil,
        dropSplitDot: Bool = false,
        maxCommandLength: Int? = nil,
        maxRecipients: Int? = nil
    ) {
        self.persona = persona
        self.maskBanner = maskBanner
        self.allowCommands = allowCommands
        self.denyCommands = denyCommands
        self.disallowedCommandRewrite = disallowedCommandRewrite
        self.maskExtensions = maskExtensions
        self.maskUnknownExtensions = maskUnknownExtensions
        self.stripExtensions = stripExtensions
        self.swallowAfter = swallowAfter
        self.dropSplitDot = dropSplitDot
        self.maxCommandLength = maxCommandLength
        self.maxRecipients = maxRecipients
    }

    /// The preset for a device.
    public init(persona: Persona) {
        switch persona {
        case .pixMailguard:
            // Only the RFC 821 minimum passes; the banner is masked; split end-of-data is lost.
            self.init(
                persona: persona,
                maskBanner: true,
                allowCommands: ["HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT"],
                dropSplitDot: true
            )
        case .asaESMTP:
            // The default `inspect esmtp` policy map: STARTTLS hidden and blocked, unknown keywords
            // masked, long command lines and recipient floods drop the connection.
            self.init(
                persona: persona,
                maskBanner: true,
                denyCommands: ["STARTTLS"],
                maskExtensions: ["STARTTLS"],
                maskUnknownExtensions: true,
                maxCommandLength: 512,
                maxRecipients: 100
            )
        }
    }

    /// The EHLO keywords `maskUnknownExtensions` leaves alone: the ESMTP extensions Cisco documents
    /// its inspection engine as understanding, plus the standard ones a modern MX offers. Anything
    /// else — Exchange's `X-EXPS`, `X-LINK2STATE`, `XEXCH50`, `AUTH=LOGIN` — is masked.
    public static let knownExtensionKeywords: [String] = [
        "8BITMIME", "ATRN", "AUTH", "BINARYMIME", "CHUNKING", "DELIVERBY", "DSN", "ENHANCEDSTATUSCODES",
        "ETRN", "EXPN", "HELP", "PIPELINING", "SAML", "SEND", "SIZE", "SMTPUTF8", "SOML", "STARTTLS", "TURN",
        "VERB", "VRFY",
    ]
}
