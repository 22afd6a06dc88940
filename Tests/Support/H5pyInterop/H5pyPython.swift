import Foundation

/// The Python interpreter with h5py that the interop tests run.
///
/// Candidates, in order: `$CONSISTENCY_TD_PYTHON` alone if it is set; otherwise `/usr/bin/python3`
/// (Debian's, where `apt-get install python3-h5py` puts h5py), then `python3` on `PATH` (which may
/// be a pyenv or virtualenv Python without h5py). The first that can `import h5py, numpy` wins.
/// Without one the tests are skipped with a visible reason — except in CI (`CI=true`), where they
/// run and fail, saying that h5py is missing.
public enum H5pyPython {
    public static let candidates: [String] = {
        if let chosen = ProcessInfo.processInfo.environment["CONSISTENCY_TD_PYTHON"], !chosen.isEmpty { return [chosen] }
        return ["/usr/bin/python3", "python3"]
    }()

    /// The first candidate that imports h5py, or nil.
    public static let command: String? = candidates.first { candidate in
        (try? run(candidate, ["-c", "import h5py, numpy"]).status) == 0
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Run the tests when h5py is there, and always in CI (where its absence must fail).
    public static var shouldRun: Bool { command != nil || isCI }

    public static var missingMessage: String {
        "h5py is missing: none of \(candidates) can `import h5py, numpy`. Install Debian's python3-h5py "
            + "(apt-get install python3-h5py) or set CONSISTENCY_TD_PYTHON to a Python that has h5py."
    }

    /// The interpreter; throws (failing the test, which only runs without h5py in CI) if none.
    public static func required() throws -> String {
        guard let command else { throw MissingH5py() }
        return command
    }

    public struct MissingH5py: Error, CustomStringConvertible {
        public var description: String { H5pyPython.missingMessage }
    }

    /// Runs `python arguments…` (a bare name is looked up on PATH through /usr/bin/env) and returns
    /// its exit status and its combined stdout and stderr.
    public static func run(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python] + arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
