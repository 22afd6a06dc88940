import ConsistencyTD

/// The files a command wrote, printed at its end (DESIGN.md §6: "every output path printed at the end").
struct OutputList {
    private(set) var entries: [(label: String, path: String)] = []

    mutating func add(_ label: String, _ path: String) { entries.append((label, path)) }

    mutating func add(_ other: OutputList) { entries += other.entries }

    /// The run folder, its latest checkpoint, metrics and provenance.
    mutating func add(_ summary: TrainingSummary) {
        add("run folder", summary.runFolder)
        if let checkpoint = summary.checkpointPath { add("checkpoint", checkpoint) }
        add("metrics", summary.metricsHDF5Path)
        add("metrics (CSV)", summary.metricsCSVPath)
        add("provenance", summary.provenancePath)
    }

    /// "wrote:" and one aligned line per file, on standard output.
    func show() {
        guard !entries.isEmpty else { return }
        let width = entries.map(\.label.count).max() ?? 0
        print("wrote:")
        for entry in entries {
            print("  " + entry.label + String(repeating: " ", count: width - entry.label.count) + "  " + entry.path)
        }
    }
}
