import Foundation

/// Fault injection for the crash tests of the reliability suite (Tests/ReliabilityTests): with the
/// environment variable `CONSISTENCY_TD_FAULT_PAUSE=<phase>:<step>`, the process stops for good at
/// that point of writing the checkpoint of `step`, after printing `fault-injection: paused in <phase>
/// at step <step>` on standard error, so a test can `kill -9` it exactly there. Phases, in the order
/// a save passes them:
///
/// - `checkpoint-partial`: `<name>.tmp` holds the parameters but not yet the optimizer state, random
///   streams or curriculum (a partial HDF5 file, flushed);
/// - `checkpoint-rename`: `<name>.tmp` is complete and fsync'ed, not yet renamed to `<name>`;
/// - `latest-pointer`: `<name>` is in place, `latest` still names the previous checkpoint.
///
/// Unset (always, outside those tests) it costs one dictionary lookup per process.
enum CheckpointFaultInjection {
    enum Phase: String {
        case partial = "checkpoint-partial"
        case rename = "checkpoint-rename"
        case latestPointer = "latest-pointer"
    }

    static let variable = "CONSISTENCY_TD_FAULT_PAUSE"

    /// The requested (phase, step), parsed once.
    static let request: (phase: String, step: Int)? = {
        guard let text = ProcessInfo.processInfo.environment[variable] else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let step = Int(parts[1]) else { return nil }
        return (String(parts[0]), step)
    }()

    /// Stops the process for good (until a signal ends it) when `phase` at `step` was requested.
    static func pauseIfRequested(_ phase: Phase, step: Int) {
        guard let request, request.phase == phase.rawValue, request.step == step else { return }
        FileHandle.standardError.write(Data("fault-injection: paused in \(phase.rawValue) at step \(step)\n".utf8))
        while true { sleep(3600) }
    }
}
