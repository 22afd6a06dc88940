import HDF5

/// Why a checkpoint could not be written or loaded — each case a distinct, readable message that says
/// what was found and what was expected.
public enum CheckpointError: Error, CustomStringConvertible {
    case fileNotFound(path: String)
    case isDirectory(path: String)
    case emptyFile(path: String)
    case notHDF5(path: String)
    /// libhdf5 could not open the file: truncated or damaged beyond its header.
    case unreadable(path: String, reason: String)
    case wrongFormat(path: String, found: String?)
    case unsupportedVersion(path: String, found: Int64, supported: Int64)
    /// A required group, dataset or attribute is missing or malformed.
    case malformed(path: String, object: String, problem: String)
    /// Parameter names or shapes differ from the network being restored.
    case parameterMismatch(path: String, group: String, missing: [String], unexpected: [String],
                           reshaped: [(name: String, expected: [Int], found: [Int])])
    /// A dataset's bytes fail their Fletcher-32 checksum (or cannot be read).
    case corruptData(path: String, dataset: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "checkpoint \(path) does not exist"
        case let .isDirectory(path):
            return "checkpoint \(path) is a directory, not a checkpoint file (step-<8 digits>.h5); to resume a run, point to its run folder's checkpoints/latest"
        case let .emptyFile(path):
            return "checkpoint \(path) is empty (0 bytes): it was never written completely; use an earlier checkpoint"
        case let .notHDF5(path):
            return "checkpoint \(path) is not an HDF5 file; expected a consistency-td.checkpoint file written by the toolkit"
        case let .unreadable(path, reason):
            return "checkpoint \(path) cannot be opened (truncated or damaged): \(reason)"
        case let .wrongFormat(path, found):
            return "\(path) is an HDF5 file but not a checkpoint: its root attribute format is "
                + (found.map { "'\($0)'" } ?? "missing") + ", expected 'consistency-td.checkpoint'"
        case let .unsupportedVersion(path, found, supported):
            return "checkpoint \(path) has format_version \(found), but this toolkit reads versions up to \(supported); "
                + "load it with a newer ConsistencyTD"
        case let .malformed(path, object, problem):
            return "checkpoint \(path): \(object) \(problem)"
        case let .parameterMismatch(path, group, missing, unexpected, reshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.joined(separator: ", "))") }
            for item in reshaped {
                parts.append("\(item.name) has shape \(formatted(item.found)) but the network expects \(formatted(item.expected))")
            }
            return "checkpoint \(path) does not match the network in /\(group): " + parts.joined(separator: "; ")
        case let .corruptData(path, dataset, reason):
            return "checkpoint \(path): dataset \(dataset) is corrupt (its Fletcher-32 checksum or storage fails): \(reason)"
        case let .writeFailed(path, reason):
            return "could not write checkpoint \(path): \(reason); the previous checkpoint is untouched"
        }
    }
}

private func formatted(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
