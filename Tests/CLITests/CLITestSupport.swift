import Foundation
import HDF5

/// What a run of the `consistency-td` binary produced.
struct CLIResult {
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// The non-empty lines of standard error.
    var errorLines: [String] { standardError.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty } }
}

enum CLI {
    /// The `consistency-td` binary built beside the test bundle.
    static func binary() throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent(), directory.deletingLastPathComponent().deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("consistency-td")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CLITestError("consistency-td not found beside \(directory.path); build with --build-tests")
    }

    /// Runs `consistency-td arguments…` in `directory` and waits for it.
    @discardableResult
    static func run(_ arguments: [String], in directory: String) throws -> CLIResult {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "200"
        process.environment = environment
        // Files, not pipes: a child writing a lot can never block on a full pipe.
        let stamp = UUID().uuidString
        let outputPath = NSTemporaryDirectory() + "cli-out-\(stamp)", errorPath = NSTemporaryDirectory() + "cli-err-\(stamp)"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        try output.close()
        try error.close()
        return CLIResult(status: process.terminationStatus,
                         standardOutput: try String(contentsOfFile: outputPath, encoding: .utf8),
                         standardError: try String(contentsOfFile: errorPath, encoding: .utf8))
    }

    /// A fresh empty folder under the temporary directory.
    static func temporaryFolder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "cli-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Reads a float dataset.
    static func readFloats(_ path: String, dataset: String) throws -> (values: [Float], shape: [Int]) {
        let file = try HDF5File(path, mode: .readOnly)
        defer { try? file.close() }
        let data = try file.openDataset(dataset)
        return (try data.read(), try data.shape())
    }

    /// The tiny training flags every end-to-end test uses.
    static let tiny = ["--width", "16", "--depth", "1", "--batch-size", "32"]
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
