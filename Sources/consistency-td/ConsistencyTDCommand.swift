import ArgumentParser
import ConsistencyTD
import Foundation

/// `consistency-td`: everything the Swift API can do, from a shell (DESIGN.md §6). Every subcommand
/// ends by printing the paths it wrote; every error ends the process with one line
/// `error: <what was wrong and what is expected>` on standard error and a non-zero exit status
/// (DESIGN.md §7) — never a stack trace.
@main
struct ConsistencyTDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency-td",
        abstract: "Consistency models as value functions learned by TD learning.",
        discussion: """
            Start with `consistency-td quickstart`. Every command prints the files it wrote at the end; \
            errors are one line on standard error and a non-zero exit status.
            """,
        version: ToolkitVersion.current,
        subcommands: [
            TrainCommand.self, ResumeCommand.self, SampleCommand.self, EvaluateCommand.self,
            AnalyzeTargetsCommand.self, ExportTrajectoriesCommand.self, SweepCommand.self, InspectCommand.self,
            QuickstartCommand.self,
        ]
    )

    /// Parses and runs a command; help and version requests print as usual, every failure becomes
    /// one line on standard error (exit status 64 for usage errors, 1 otherwise).
    static func main() {
        unblockInterruptSignals()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let status = exitCode(for: error)
            if status == .success { exit(withError: error) }
            FileHandle.standardError.write(Data(("error: " + CommandLineFailure.oneLine(message(for: error)) + "\n").utf8))
            // Leave without the exit handlers: after a failed write (a full disk) libhdf5 keeps the file
            // it could not close, and its exit handler then crashes retrying the flush. Every file this
            // tool writes is already closed or abandoned by now; only standard output needs flushing.
            fflush(nil)                      // every stdio output stream
            _exit(status.rawValue)
        }
    }

    /// Unblocks SIGINT and SIGTERM, the signals that stop a training run cleanly (a final checkpoint,
    /// metrics flushed). A process inherits its signal mask from the thread that started it, and
    /// parents do block them: Foundation's `Process` spawns with the calling thread's mask, and test
    /// runners and thread pools block signals on their worker threads. With the signals blocked, Ctrl-C
    /// or a scheduler's time limit would stay pending until SIGKILL. Threads started later (OpenBLAS's,
    /// the lanes') inherit the main thread's mask.
    static func unblockInterruptSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
