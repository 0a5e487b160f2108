/// One problem found while loading a scenario, located at the YAML node that caused it.
///
/// Rendered as `FILE:LINE:COLUMN: error: PATH: MESSAGE`, the form compilers use, so editors and CI logs
/// can jump to the spot. `path` is the dotted route from the document root (`rules[2].do[0].delay`);
/// problems that belong to no key (YAML syntax errors, an unreadable file) leave it empty and render
/// without it. A `line` of 0 means the problem has no position in the file (it could not be read).
public struct ScenarioDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The file name or path as given to the loader.
    public var file: String
    /// 1-based line, or 0 when the problem concerns the whole file.
    public var line: Int
    /// 1-based column (in Unicode scalars, as libyaml counts), or 0 with `line`.
    public var column: Int
    /// Route from the document root to the offending node, e.g. `host.limits.message-size`.
    public var path: String
    /// What is wrong, and where possible how to fix it.
    public var message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        let location = line > 0 ? "\(file):\(line):\(column)" : file
        return path.isEmpty ? "\(location): error: \(message)" : "\(location): error: \(path): \(message)"
    }
}
