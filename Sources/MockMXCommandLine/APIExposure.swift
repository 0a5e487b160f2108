/// Whether the control API is open to the network without a token: it reads every message and changes the
/// host's behaviour, so `serve` warns once at start when it listens beyond loopback with no `--api-token`.
public enum APIExposure {
    /// The warning for an API bound to `host` (as bound: `0.0.0.0`, `::`, `127.0.0.1`, …) under the name
    /// `address` (`[::]:8025`); nil when it is only reachable from this machine or needs a token.
    public static func warning(host: String, address: String, hasToken: Bool) -> String? {
        guard !hasToken, !isLoopback(host) else { return nil }
        return "the control API on \(address) is open to the network without a token: anyone who reaches it "
            + "can read every message and change the host's replies; set --api-token or MOCKMX_API_TOKEN "
            + "(see docs/sidecar.md)"
    }

    /// 127.0.0.0/8, `::1` and their IPv4-mapped forms; not the wildcard addresses, which take every interface.
    public static func isLoopback(_ host: String) -> Bool {
        let address = host.lowercased().trimmingPrefix("[").split(separator: "]").first.map(String.init) ?? ""
        if address == "::1" || address == "localhost" { return true }
        let v4 = address.hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
        let octets = v4.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
