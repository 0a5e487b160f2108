#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads scenarios from YAML (or JSON, which is YAML) with every problem reported at its line and column.
public enum ScenarioLoader {
    /// Parses a scenario document.
    /// - Parameters:
    ///   - yaml: The document; JSON works too.
    ///   - file: How diagnostics and rule locations name the source (`greylist.yaml`, a path, `<api>`).
    ///   - name: The scenario's name; the `file` when nil.
    /// - Throws: every problem found, in file order.
    public static func load(yaml: String, file: String, name: String? = nil) throws(ScenarioLoadError) -> Scenario {
        var decoder = ScenarioDocumentDecoder(file: file)
        var scenario = decoder.decode(yaml: yaml, name: name ?? file)
        guard decoder.diagnostics.isEmpty else { throw ScenarioLoadError(diagnostics: decoder.diagnostics) }
        scenario.source = yaml
        return scenario
    }

    /// Reads and parses the file at `path`; the scenario is named by the path.
    public static func load(contentsOf path: String) throws(ScenarioLoadError) -> Scenario {
        let text: String
        switch readTextFile(path) {
        case let .success(contents): text = contents
        case let .failure(error): throw error.loadError
        }
        return try load(yaml: text, file: path)
    }

    /// A bundled scenario by name (`greylist` or `greylist.yaml`) if there is one, else the file at that path.
    /// `default` names ``Scenario/defaultPersona``.
    public static func resolve(_ nameOrPath: String) throws(ScenarioLoadError) -> Scenario {
        let name = nameOrPath.hasSuffix(".yaml") ? String(nameOrPath.dropLast(".yaml".count)) : nameOrPath
        if let bundled = BundledScenarios.all.first(where: { $0.name == name }) {
            return try load(yaml: bundled.yaml, file: "\(name).yaml", name: name)
        }
        if name == Scenario.defaultPersona.name {
            return Scenario.defaultPersona
        }
        switch readTextFile(nameOrPath) {
        case let .success(contents):
            return try load(yaml: contents, file: nameOrPath)
        case let .failure(error) where error.isMissing && !nameOrPath.contains("/"):
            // A bare word that is neither: most likely a misspelt bundled name.
            let hint = Spelling.didYouMean(name, among: bundledNames)
            let message = "no bundled scenario or file named '\(nameOrPath)'\(hint); bundled scenarios: "
                + bundledNames.joined(separator: ", ")
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(file: nameOrPath, line: 0, column: 0, path: "", message: message),
            ])
        case let .failure(error):
            throw error.loadError
        }
    }

    /// Names of the scenarios compiled into the binary, sorted.
    public static var bundledNames: [String] {
        BundledScenarios.all.map(\.name)
    }

    /// Why a file could not be read; `isMissing` is captured from `errno` before anything else can change it.
    private struct FileReadError: Error {
        var path: String
        var message: String
        var isMissing = false

        var loadError: ScenarioLoadError {
            let diagnostic = ScenarioDiagnostic(file: path, line: 0, column: 0, path: "", message: message)
            return ScenarioLoadError(diagnostics: [diagnostic])
        }
    }

    private static func readTextFile(_ path: String) -> Result<String, FileReadError> {
        guard let stream = fopen(path, "rb") else {
            let code = errno
            return .failure(FileReadError(
                path: path, message: "cannot open: \(String(cString: strerror(code)))", isMissing: code == ENOENT
            ))
        }
        defer { fclose(stream) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, stream)
            bytes += chunk.prefix(count)
            if count < chunk.count {
                if ferror(stream) != 0 {
                    let code = errno
                    let message = "cannot read: \(String(cString: strerror(code)))"
                    return .failure(FileReadError(path: path, message: message))
                }
                break
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(FileReadError(path: path, message: "not UTF-8 text"))
        }
        return .success(text)
    }
}
