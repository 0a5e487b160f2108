import Foundation
import FuzzSupport
import StrictJSON

/// The strict JSON checker fed arbitrary bytes (the control API runs it on every `application/json` body that is
/// UTF-8 text).
///
/// Invariants: it never crashes; its answer does not change when asked twice; a reported location is inside the
/// input (a line it has, a column up to one past that line's end); for UTF-8 input, whatever it accepts
/// Foundation's JSONSerialization accepts too, so the check never lets through what a JSON parser refuses — but
/// for numbers beyond a Double, which RFC 8259 §6 lets each parser limit and most take as infinity; and
/// what JSONSerialization writes back from an accepted value is accepted as well, so nothing Foundation
/// itself produces is refused.
enum JSONSyntaxFuzzer {
    static func run(_ data: [UInt8]) {
        let problem = JSONSyntax.problem(in: data)
        invariant(JSONSyntax.problem(in: data) == problem, "two answers for the same input")
        if let problem {
            checkLocation(problem, in: data)
            return
        }
        // Not UTF-8: the API refuses it before asking; anything goes.
        guard String(validating: data, as: UTF8.self) != nil, !hasNumberBeyondDouble(data) else { return }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(data), options: .fragmentsAllowed)
        } catch {
            invariant(false, "accepted what JSONSerialization refuses (\(error)): \(printable(data))")
            return
        }
        guard let written = try? JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed) else {
            return
        }
        if let problem = JSONSyntax.problem(in: Array(written)) {
            invariant(
                false,
                "refused JSONSerialization's own output at \(problem.line):\(problem.column) (\(problem.message)): "
                    + printable(written))
        }
    }

    /// Whether a number outside strings overflows a Double or underflows it to zero (JSONSerialization refuses
    /// both). Only asked about accepted, hence well-formed, JSON.
    static func hasNumberBeyondDouble(_ data: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var number: [UInt8] = []
        for byte in data + [0x20] {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            if byte == 0x22 { inString = true }
            if Array("-+.0123456789eE".utf8).contains(byte) {
                number.append(byte)
                continue
            }
            guard !number.isEmpty else { continue }
            let mantissa = number.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            let value = Double(String(decoding: number, as: UTF8.self))
            if value.map({ !$0.isFinite || ($0 == 0 && mantissa.contains { (0x31...0x39).contains($0) }) }) ?? true {
                return true
            }
            number = []
        }
        return false
    }

    /// Lines split at LF and counted in Unicode scalars, as the checker counts them.
    static func checkLocation(_ problem: JSONSyntax.Problem, in data: [UInt8]) {
        invariant(!problem.message.isEmpty, "a problem without a message")
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        invariant(
            problem.line >= 1 && problem.line <= lines.count,
            "line \(problem.line) in a \(lines.count)-line input: \(printable(data))")
        let line = lines[problem.line - 1]
        let scalars = line.filter { $0 & 0xC0 != 0x80 }.count
        invariant(
            problem.column >= 1 && problem.column <= scalars + 1,
            "column \(problem.column) on a line of \(scalars) scalar(s): \(printable(data))")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    JSONSyntaxFuzzer.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum FuzzJSONSyntaxReplayer {
    static func main() {
        Replayer.run(Array(CommandLine.arguments.dropFirst()), JSONSyntaxFuzzer.run)
    }
}
#endif
