import CLIProcess
import Foundation
import H5pyInterop
import TestFolders

/// Runs the experiment executables built beside the test bundle (`swift build --build-tests` builds
/// every executable the test target depends on) as ``CLIChild`` processes.
enum ExperimentBinary {
    /// Runs `name arguments…` in `directory`, one BLAS thread, and waits at most `timeLimit` seconds
    /// (then kills it and reports `timedOut`).
    @discardableResult
    static func run(_ name: String, _ arguments: [String], in directory: String,
                    timeLimit: TimeInterval = 600) throws -> CLIResult {
        let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "1"
        let child = try CLIChild(executable: try CLI.executable(named: name), arguments, in: directory,
                                 environment: ["OPENBLAS_NUM_THREADS": threads])
        return try child.wait(timeout: timeLimit)
    }

    /// A fresh empty folder under the temporary directory, removed when the test process exits.
    static func temporaryFolder(_ name: String) throws -> String {
        try TemporaryFolders.fresh(named: "experiment-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
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
        let arguments = ["-c", script, path, notebooksFolder.path]
        let child = try CLIChild(executable: URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env"),
                                 python.contains("/") ? arguments : [python] + arguments, in: notebooksFolder.path,
                                 environment: ["CONSISTENCY_TD_RESULTS": results, "MPLBACKEND": "Agg"])
        let result = try child.wait(timeout: timeLimit + 60)
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
