/// Why metrics could not be recorded, stored or read — each case a readable message that says what
/// was found and what was expected. Failures inside libhdf5 arrive as `HDF5Error` unchanged; file
/// system failures of `metrics.csv` arrive as the Foundation error that caused them.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// A series name breaks the rules of ``MetricsStore`` (empty parts, a comma, "step", …).
    case invalidSeriesName(String, reason: String)
    /// Two series names cannot coexist because one is a group prefix of the other.
    case conflictingSeriesNames(String, String)
    /// Steps count optimizer updates: they are ≥ 0 and fit in Int64.
    case invalidStep(String)
    /// A row's step is below the previous row's step.
    case stepNotIncreasing(step: Int64, previous: Int64)
    /// The series already has a different value at this step.
    case conflictingValue(series: String, step: Int64, stored: Double, new: Double)
    /// `.fresh` never replaces a metrics file.
    case fileExists(path: String)
    /// Continuing or resuming needs an existing metrics file.
    case fileNotFound(path: String)
    /// The HDF5 file's root attribute `format` is not "consistency-td.metrics".
    case notAMetricsFile(path: String, format: String?)
    case unsupportedFormatVersion(path: String, found: Int64, supported: Int64)
    /// The file's datasets disagree with the layout (wrong type, rank, length, or unsorted steps).
    case inconsistentFile(path: String, problem: String)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// The store was closed.
    case closed(path: String)
    /// Writing `metrics.csv` (or its temporary copy) failed; `reason` is the system's (e.g. "No space left on device").
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSeriesName(name, reason):
            return "invalid metric series name '\(name)': \(reason); use names like 'train/loss' or 'lr'"
        case let .conflictingSeriesNames(first, second):
            return "metric series '\(first)' and '\(second)' cannot both exist: one would be a group holding the other "
                + "in metrics.h5; rename one of them"
        case let .invalidStep(problem):
            return "invalid metrics step: \(problem)"
        case let .stepNotIncreasing(step, previous):
            return "metrics step \(step) comes after step \(previous): steps must not decrease "
                + "(record a step once, or several times in a row to add series to it)"
        case let .conflictingValue(series, step, stored, new):
            return "metric series '\(series)' already holds \(stored) at step \(step); refusing to overwrite it with \(new)"
        case let .fileExists(path):
            return "\(path) already exists; open it with .continuing or .resuming(fromStep:), or use .replacing to start over"
        case let .fileNotFound(path):
            return "\(path) does not exist, so there is no metrics file to continue; start the run with .fresh"
        case let .notAMetricsFile(path, format):
            return "\(path) is an HDF5 file but not a metrics file: its root attribute format is "
                + (format.map { "'\($0)'" } ?? "missing") + ", expected '\(MetricsFileLayout.formatName)'"
        case let .unsupportedFormatVersion(path, found, supported):
            return "metrics file \(path) has format_version \(found), but this toolkit reads version \(supported)"
        case let .inconsistentFile(path, problem):
            return "metrics file \(path) is inconsistent: \(problem)"
        case let .invalidConfiguration(problem):
            return "invalid metrics store configuration: \(problem)"
        case let .closed(path):
            return "the metrics store for \(path) is closed"
        case let .writeFailed(path, reason):
            return "could not write \(path): \(reason); the rows of the last checkpoint are kept, resume the run once the problem is fixed"
        }
    }
}
