import Foundation

/// Fault injection for the run-folder race test of the reliability suite: with the environment
/// variable `CONSISTENCY_TD_FAULT_STOP=run-folder-checked`, ``ExperimentRunFolder/createLocked(for:under:path:date:commandLine:)``
/// prints `fault-injection: stopped in run-folder-checked` on standard error and stops itself
/// (`SIGSTOP`) after checking that the requested folder does not exist and before making it; the
/// test starts a second run on the same folder meanwhile and then continues the first with `SIGCONT`.
/// Unset (always, outside that test) it costs one dictionary lookup per process.
enum RunFolderFaultInjection {
    enum Point: String {
        case checked = "run-folder-checked"
    }

    static let variable = "CONSISTENCY_TD_FAULT_STOP"

    static let requested: String? = ProcessInfo.processInfo.environment[variable]

    /// Stops the process until `SIGCONT` when `point` was requested.
    static func stopIfRequested(_ point: Point) {
        guard requested == point.rawValue else { return }
        FileHandle.standardError.write(Data("fault-injection: stopped in \(point.rawValue)\n".utf8))
        raise(SIGSTOP)
    }
}
