import Agents
import Foundation
import HDF5

/// `summary.h5` and `table.md`: one row per policy (``PolicySummary``). HDF5 layout:
///
///     /   attrs format, toolkit_version, seed, quick, run_seconds, training_seconds, max_time, model,
///         checkpoint
///     policies [P] (strings), descriptions [P] (strings), minari_ids [P] (strings)
///     episodes [P], steps [P] (int64)
///     endpoint_error, endpoint_error_stderr, td_error, td_error_stderr, target_error, target_error_stderr [P]
struct SummaryFile {
    static let format = "consistency-td.export-trajectories-summary"
    let summaries: [PolicySummary]
    let descriptions: [String]
    let datasetIDs: [String]
    let modelLabel: String
    let seed: UInt64
    let quick: Bool
    let seconds: Double
    let trainingSeconds: Double
    let maximumTime: Double
    let checkpoint: String?

    func write(folder: String) throws {
        let path = (folder as NSString).appendingPathComponent("summary.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            try file.setAttribute("toolkit_version", ToolkitVersion.current)
            try file.setAttribute("seed", seed)
            try file.setAttribute("quick", Int64(quick ? 1 : 0))
            try file.setAttribute("run_seconds", seconds)
            try file.setAttribute("training_seconds", trainingSeconds)
            try file.setAttribute("max_time", maximumTime)
            try file.setAttribute("model", modelLabel)
            try file.setAttribute("checkpoint", checkpoint ?? "")
            try file.createStringDataset("policies", strings: summaries.map(\.name))
            try file.createStringDataset("descriptions", strings: descriptions)
            try file.createStringDataset("minari_ids", strings: datasetIDs)
            try file.createDataset("episodes", values: summaries.map { Int64($0.episodes) })
            try file.createDataset("steps", values: summaries.map { Int64($0.steps) })
            let columns: [(String, (PolicySummary) -> Double)] = [
                ("endpoint_error", \.endpointError), ("endpoint_error_stderr", \.endpointErrorStandardError),
                ("td_error", \.tdError), ("td_error_stderr", \.tdErrorStandardError),
                ("target_error", \.targetError), ("target_error_stderr", \.targetErrorStandardError),
            ]
            for (name, value) in columns { try file.createDataset(name, values: summaries.map(value)) }
        }
        try markdown.write(toFile: (folder as NSString).appendingPathComponent("table.md"), atomically: true, encoding: .utf8)
    }

    var markdown: String {
        var lines = ["# Exported trajectories (ring of 8)", "",
                     "Toolkit \(ToolkitVersion.current) · seed \(seed) · \(quick ? "quick" : "full") size · T = \(String(format: "%g", maximumTime)) · "
                         + "consistency model: \(modelLabel) · \(String(format: "%.1f", seconds)) s", "",
                     "| policy | episodes | steps | endpoint error ‖x₀ − f*(x_T, T)‖ | TD error of f* | TD(0) target error |",
                     "|---|---|---|---|---|---|"]
        func pair(_ mean: Double, _ error: Double) -> String { String(format: "%.3e ± %.1e", mean, error) }
        for summary in summaries {
            lines.append("| \(summary.name) | \(summary.episodes) | \(summary.steps) | \(pair(summary.endpointError, summary.endpointErrorStandardError)) | "
                + "\(pair(summary.tdError, summary.tdErrorStandardError)) | \(pair(summary.targetError, summary.targetErrorStandardError)) |")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
