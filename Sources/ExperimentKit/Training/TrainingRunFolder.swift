import Agents
import Foundation

/// The files of one training run (DESIGN.md §6):
///
///     <run>/checkpoints/step-<8 digits>.h5, checkpoints/latest
///     <run>/metrics.h5, <run>/metrics.csv
///     <run>/provenance.json
struct TrainingRunFolder {
    static let provenanceFileName = "provenance.json"

    let path: String
    let checkpoints: CheckpointFolder

    init(path: String, keepCheckpoints: Int) {
        self.path = path
        checkpoints = CheckpointFolder(directory: Self.join(path, "checkpoints"), keep: keepCheckpoints)
    }

    var metricsHDF5Path: String { Self.join(path, MetricsStore.hdf5FileName) }
    var metricsCSVPath: String { Self.join(path, MetricsStore.csvFileName) }
    var provenancePath: String { Self.join(path, Self.provenanceFileName) }

    /// The files that show a run already lives here: metrics files, checkpoints, the latest pointer.
    func existingRunFiles() -> [String] {
        let files = FileManager.default
        var found = [MetricsStore.hdf5FileName, MetricsStore.csvFileName].filter {
            files.fileExists(atPath: Self.join(path, $0))
        }
        found += checkpoints.steps().map { "checkpoints/" + CheckpointFolder.fileName(step: $0) }
        if files.fileExists(atPath: checkpoints.latestPointerPath) { found.append("checkpoints/latest") }
        return found
    }

    /// Writes `provenance.json` (atomically, keys sorted) unless it exists: a resumed run keeps the
    /// provenance of the run's start; every checkpoint carries the provenance of its own writer.
    func writeProvenanceIfMissing(_ provenance: Provenance = .current) throws {
        guard !FileManager.default.fileExists(atPath: provenancePath) else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(provenance).write(to: URL(fileURLWithPath: provenancePath), options: .atomic)
    }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    static func join(_ folder: String, _ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
}
