import Foundation
import H5pyInterop

/// What a run of one of the `Experiments/` executables produced.
struct ExperimentResult {
    let status: Int32
    let standardOutput: String
    let standardError: String
    /// True when the run was killed for exceeding its time limit.
    let timedOut: Bool
}

/// Runs the experiment executables built beside the test bundle (`swift build --build-tests` builds
/// every executable the test target depends on).
enum ExperimentBinary {
    /// The executable `name` (for example `TDTargetAblation`) in the build products folder.
    static func url(_ name: String) throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent(), directory.deletingLastPathComponent().deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw ExperimentTestError("\(name) not found beside \(directory.path); build with --build-tests")
    }

    /// Runs `name arguments…` in `directory`, one BLAS thread, and waits at most `timeLimit` seconds
    /// (then kills it and reports `timedOut`).
    @discardableResult
    static func run(_ name: String, _ arguments: [String], in directory: String,
                    timeLimit: TimeInterval = 600) throws -> ExperimentResult {
        let process = Process()
        process.executableURL = try url(name)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
        environment["COLUMNS"] = "200"
        process.environment = environment
        return try runToCompletion(process, timeLimit: timeLimit)
    }

    /// Starts `process` with standard output and error sent to files (a chatty child can never block
    /// on a full pipe), waits up to `timeLimit` seconds, and returns what it printed.
    static func runToCompletion(_ process: Process, timeLimit: TimeInterval) throws -> ExperimentResult {
        let stamp = UUID().uuidString
        let outputPath = NSTemporaryDirectory() + "experiment-out-\(stamp)"
        let errorPath = NSTemporaryDirectory() + "experiment-err-\(stamp)"
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
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                process.terminate()
                process.waitUntilExit()
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        try output.close()
        try error.close()
        return ExperimentResult(status: process.terminationStatus,
                                standardOutput: try String(contentsOfFile: outputPath, encoding: .utf8),
                                standardError: try String(contentsOfFile: errorPath, encoding: .utf8),
                                timedOut: timedOut)
    }

    /// A fresh empty folder under the temporary directory.
    static func temporaryFolder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "experiment-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Executes the notebooks of `notebooks-exported/` with Jupyter's `nbclient` against a results folder,
/// the way `notebooks-exported/regenerate` does, so a notebook that no longer matches the experiments'
/// outputs fails a test instead of rotting.
///
/// Every notebook reads its inputs from the folder named by the environment variable
/// `CONSISTENCY_TD_RESULTS` (default `results`, relative to `notebooks-exported/`), one subfolder per
/// experiment. The Python interpreter is chosen like the h5py interop tests' (`CONSISTENCY_TD_PYTHON`,
/// then `/usr/bin/python3`, then `python3`); it needs numpy, h5py, matplotlib, nbformat, nbclient and
/// ipykernel (minari too for the trajectory notebook). Without them the tests are skipped with a visible
/// reason — except in CI (`CI=true`), where they run and fail, saying what is missing.
enum NotebookRunner {
    static let requiredModules = "numpy, h5py, matplotlib, nbformat, nbclient, ipykernel"

    /// The first interpreter that imports every required module, or nil.
    static let python: String? = H5pyPython.candidates.first { candidate in
        (try? H5pyPython.run(candidate, ["-c", "import \(requiredModules)"]).status) == 0
    }

    /// Run the notebook tests when Jupyter is there, and always in CI (where its absence must fail).
    static var shouldRun: Bool { python != nil || H5pyPython.isCI }

    static var missingMessage: String {
        "Jupyter is missing: none of \(H5pyPython.candidates) can `import \(requiredModules)`. Run "
            + "`bash .ci/install-dependencies` or set CONSISTENCY_TD_PYTHON to a Python that has them."
    }

    /// The repository's `notebooks-exported/` folder.
    static var notebooksFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("notebooks-exported")
    }

    /// Executes `notebooks-exported/<notebook>` in memory (the committed file is not changed) with
    /// `CONSISTENCY_TD_RESULTS = results`; throws with the notebook's error output when a cell fails.
    static func execute(_ notebook: String, results: String, timeLimit: TimeInterval = 300) throws {
        guard let python else { throw ExperimentTestError(missingMessage) }
        let path = notebooksFolder.appendingPathComponent(notebook).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ExperimentTestError("notebook \(path) does not exist")
        }
        let script = """
            import sys, nbformat
            from nbclient import NotebookClient
            notebook = nbformat.read(sys.argv[1], as_version=4)
            NotebookClient(notebook, timeout=\(Int(timeLimit)), kernel_name="python3",
                           resources={"metadata": {"path": sys.argv[2]}}).execute()
            print("executed", len(notebook.cells), "cells")
            """
        let process = Process()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script, path, notebooksFolder.path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-c", script, path, notebooksFolder.path]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["CONSISTENCY_TD_RESULTS"] = results
        environment["MPLBACKEND"] = "Agg"
        process.environment = environment
        let result = try ExperimentBinary.runToCompletion(process, timeLimit: timeLimit + 60)
        guard result.status == 0, !result.timedOut else {
            throw ExperimentTestError("notebook \(notebook) failed (exit \(result.status)\(result.timedOut ? ", timed out" : "")):\n"
                + result.standardOutput + result.standardError)
        }
    }
}

struct ExperimentTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
