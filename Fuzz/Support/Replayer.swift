import Foundation

/// The plain-build entry point of a fuzz target: runs the target's check on every file given (a directory
/// means every file in it), so a crash file or a corpus replays under the debugger or a sanitizer.
public enum Replayer {
    public static func run(_ arguments: [String], _ body: ([UInt8]) -> Void) {
        guard !arguments.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) FILE-OR-DIRECTORY...\n".utf8))
            exit(64)
        }
        var count = 0
        for argument in arguments {
            for path in files(at: argument) {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                    exit(66)
                }
                body([UInt8](data))
                count += 1
            }
        }
        print("replayed \(count) input(s) without a finding")
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }.filter {
            var isSubdirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isSubdirectory) && !isSubdirectory.boolValue
        }
    }
}
