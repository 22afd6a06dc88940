import Foundation
import TestFolders
#if canImport(Glibc)
import Glibc
#endif

/// What a run of the `consistency-td` binary produced.
public struct CLIResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
    /// The process ended by a signal (a crash, or the kill after a timeout) rather than by exiting.
    public let endedBySignal: Bool
    /// The process was still running at its deadline and was killed.
    public let timedOut: Bool

    /// The non-empty lines of standard error.
    public var errorLines: [String] { standardError.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty } }
}

/// The `consistency-td` binary run as a child process by the CLI and reliability tests.
public enum CLI {
    /// The `consistency-td` binary built beside the test bundle.
    public static func binary() throws -> URL { try executable(named: "consistency-td") }

    /// An executable of the package (the CLI or a test helper) built beside the test bundle.
    public static func executable(named name: String) throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent(), directory.deletingLastPathComponent().deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CLITestError("\(name) not found beside \(directory.path); build with --build-tests")
    }

    /// Runs `consistency-td arguments…` in `directory` and waits for it, at most `timeout` seconds
    /// (then it is killed and the result says `timedOut`). `environment` adds variables.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String, timeout: Double = 900,
                           environment: [String: String] = [:]) throws -> CLIResult {
        let child = try CLIChild(arguments, in: directory, environment: environment)
        return try child.wait(timeout: timeout)
    }

    /// A fresh empty folder under the temporary directory, removed when the test process exits.
    public static func temporaryFolder(_ name: String) throws -> String {
        try TemporaryFolders.fresh(named: "cli-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    /// The tiny training flags every end-to-end test uses.
    public static let tiny = ["--width", "16", "--depth", "1", "--batch-size", "32"]
}

/// A `consistency-td` child process running in the background. Its standard output and error go to
/// files (never pipes: a child writing a lot can never block); ``wait(timeout:)`` collects them. A
/// child still running when the handle is released is killed with SIGKILL and reaped, so a failing
/// test never leaves a process behind.
public final class CLIChild {
    public let process = Process()
    private let outputPath: String
    private let errorPath: String
    private var output: FileHandle?
    private var error: FileHandle?

    /// Starts `consistency-td arguments…` in `directory` with the extra `environment` variables.
    public convenience init(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws {
        try self.init(executable: try CLI.binary(), arguments, in: directory, environment: environment)
    }

    /// Starts another executable (a test helper built beside the tests) the same way.
    public init(executable: URL, _ arguments: [String], in directory: String, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = ProcessInfo.processInfo.environment
        variables["COLUMNS"] = "200"
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
        let stamp = UUID().uuidString
        outputPath = NSTemporaryDirectory() + "cli-out-\(stamp)"
        errorPath = NSTemporaryDirectory() + "cli-err-\(stamp)"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        self.output = output
        self.error = error
        process.standardOutput = output
        process.standardError = error
        try process.run()
    }

    public var processIdentifier: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Standard error written so far.
    public func standardErrorSoFar() -> String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    /// Standard output written so far.
    public func standardOutputSoFar() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` (default SIGKILL) if the child still runs.
    public func send(_ signal: Int32 = SIGKILL) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Polls every 5 ms until `condition` holds or the child exits or `timeout` seconds pass; true
    /// when the condition held.
    public func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(5_000)
        }
        return condition()
    }

    /// Waits for the child to end, killing it (SIGKILL) after `timeout` seconds, and collects its output.
    public func wait(timeout: Double) throws -> CLIResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while !endedOrKilled(deadline: deadline, timedOut: &timedOut) { usleep(2_000) }
        return try collect(timedOut: timedOut)
    }

    /// ``wait(timeout:)`` without holding a thread: between checks (every 100 ms) the task suspends,
    /// so a child running for minutes leaves the test run's threads (one per core) to other tests.
    public func waitWithoutBlocking(timeout: Double) async throws -> CLIResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while !endedOrKilled(deadline: deadline, timedOut: &timedOut) { try? await Task.sleep(for: .milliseconds(100)) }
        return try collect(timedOut: timedOut)
    }

    /// True once the child has ended, or when `deadline` has passed: then it is killed (SIGKILL) and
    /// `timedOut` set.
    private func endedOrKilled(deadline: Date, timedOut: inout Bool) -> Bool {
        guard process.isRunning else { return true }
        guard Date() >= deadline else { return false }
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        return true
    }

    /// Reaps the ended (or killed) child and reads its output files.
    private func collect(timedOut: Bool) throws -> CLIResult {
        process.waitUntilExit()
        try output?.close()
        try error?.close()
        output = nil
        error = nil
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        return CLIResult(status: process.terminationStatus,
                         standardOutput: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                         standardError: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "",
                         endedBySignal: process.terminationReason == .uncaughtSignal, timedOut: timedOut)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? output?.close()
        try? error?.close()
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }
}

public struct CLITestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
