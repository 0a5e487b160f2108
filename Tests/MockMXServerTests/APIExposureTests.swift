import Foundation
import Testing

/// `serve` says once, at start, when its control API is open to the network without a token (issue 21).
/// The API binds the wildcard address here, and nothing but the start-up is exercised.
@Suite struct APIExposureTests {
    @Test func aWildcardAPIWithoutATokenPrintsOneWarningLine() throws {
        let serve = try CommandLineTests.ServeProcess(["--listen", "127.0.0.1:0", "--api", "0.0.0.0:0"])
        #expect(serve.line()?.hasPrefix("mockmx: listening on 127.0.0.1:") == true)
        let api = try #require(serve.line())
        #expect(api.hasPrefix("mockmx: control API on http://0.0.0.0:"))
        let port = api.split(separator: ":").last.map(String.init) ?? ""
        let ended = serve.terminate()
        let warnings = ended.errors.split(separator: "\n").filter { $0.contains("warning") }
        #expect(
            warnings == [
                "mockmx: warning: the control API on 0.0.0.0:\(port) is open to the network without a token: anyone "
                    + "who reaches it can read every message and change the host's replies; set --api-token or "
                    + "MOCKMX_API_TOKEN (see docs/sidecar.md)"
            ])
    }

    @Test func inJSONTheWarningIsAnEvent() throws {
        let serve = try CommandLineTests.ServeProcess([
            "--listen", "127.0.0.1:0", "--api", "0.0.0.0:0", "--log-format", "json",
        ])
        _ = serve.line()
        _ = serve.line()
        let line = try #require(serve.line())
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(event["event"] as? String == "warning" && event["warning"] as? String == "api-without-token")
        #expect((event["message"] as? String)?.hasPrefix("the control API on 0.0.0.0:") == true)
        #expect(serve.terminate().errors.isEmpty)
    }

    @Test func aTokenOrLoopbackMeansNoWarning() throws {
        for arguments in [["--api", "0.0.0.0:0", "--api-token", "t0ken"], ["--api", "127.0.0.1:0"]] {
            let serve = try CommandLineTests.ServeProcess(["--listen", "127.0.0.1:0"] + arguments)
            _ = serve.line()
            _ = serve.line()
            let ended = serve.terminate()
            #expect(!ended.errors.contains("warning") && !ended.rest.contains("warning"), "\(arguments)")
        }
    }
}
