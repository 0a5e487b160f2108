import Foundation
import MockMXScenario

/// `GET /api/v1/sessions/{id}` from a running mockmx, over the same plain socket as the health probe.
public enum SessionFetch {
    /// The session JSON, or why not, in one line.
    public static func session(
        _ id: String, api: String, token: String?, timeout: Duration = .seconds(5)
    ) -> Result<Data, HealthProbe.Failure> {
        let address = api.hasPrefix("http://") ? String(api.dropFirst(7).prefix { $0 != "/" }) : api
        guard let target = HealthProbe.target(address), target.port != 0 else {
            return .failure(HealthProbe.Failure(description: "--api: '\(api)' is not HOST:PORT of a control API"))
        }
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            return .failure(HealthProbe.Failure(description: "'\(id)' is neither a file nor a session id"))
        }
        let url = "http://\(target)/api/v1/sessions/\(id)"
        var request = "GET /api/v1/sessions/\(id) HTTP/1.0\r\nHost: \(target)\r\nUser-Agent: mockmx-diff\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        let response: [UInt8]
        do {
            response = try HealthProbe.exchange(Array(request.utf8), with: target, deadline: .now + timeout)
        } catch {
            return .failure(HealthProbe.Failure(description: "\(url): \(error)"))
        }
        guard let headerEnd = response.firstRange(of: [0x0D, 0x0A, 0x0D, 0x0A]) else {
            return .failure(HealthProbe.Failure(description: "\(url): the answer is not HTTP"))
        }
        let statusLine = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self).prefix { $0 != "\r" }
        let body = Data(response[headerEnd.upperBound...])
        guard statusLine.split(separator: " ").dropFirst().first == "200" else {
            let detail = String(decoding: body.prefix(200), as: UTF8.self)
            return .failure(HealthProbe.Failure(description: "\(url): \(statusLine) \(detail)"))
        }
        return .success(body)
    }
}
