/// The envelope as rules see it (`sender:`, `recipient:` and keyed state): read only when a scenario has
/// such conditions, so the default persona never builds it.
extension SMTPSessionStateMachine {
    /// The accepted MAIL FROM address of the transaction in progress (empty for the null sender `<>`).
    public var transactionSender: [UInt8]? { transaction?.mailFrom }

    /// The recipients accepted so far in the transaction in progress.
    public var transactionRecipients: [[UInt8]] { transaction?.recipients ?? [] }

    /// The address in MAIL or RCPT arguments (`prefix` `FROM:` or `TO:`), as the protocol reads it; nil when
    /// the arguments do not parse.
    public static func address(inArguments arguments: [UInt8], prefix: String) -> [UInt8]? {
        try? SMTPPathArguments.parse(arguments, prefix: prefix).path
    }
}
