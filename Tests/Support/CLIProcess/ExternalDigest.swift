import Foundation

/// Digests computed by the system's own tools, as independent oracles for the toolkit's implementations.
public enum ExternalDigest {
    /// The SHA-256 of the file at `path` as printed by `sha256sum` (GNU coreutils), lower-case hex.
    public static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
