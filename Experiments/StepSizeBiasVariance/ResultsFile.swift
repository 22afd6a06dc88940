import Agents
import Foundation
import HDF5

/// The experiment's outputs: `results.h5` and `table.md`. HDF5 layout (float64 unless noted):
///
///     /                       attrs format, toolkit_version, seed, quick, run_seconds, settings (JSON),
///                             environments, checkpoint
///     /<environment>          attrs dimension, training_seconds
///     /<environment>/<bootstrap>          bootstrap ∈ {exact, network}; attrs label, estimators,
///                                         peak_step_index, peak_step_fraction
///         times [T], step_fractions [K] (Δt/t), step_sizes [T, K] (Δt)
///         bias2, bias2_stderr, variance, variance_stderr, mse, mse_stderr     [E, T, K]
///         variance_peak_index [E, K] int64 (argmax over t of the variance; −1: variance 0 everywhere)
///         variance_peak_time [E] (the peak t at peak_step_index; NaN for deterministic estimators)
struct ResultsFile {
    static let format = "consistency-td.step-size-bias-variance"
    let studies: [EnvironmentStudy]
    let size: ExperimentSize
    let seed: UInt64
    let quick: Bool
    let seconds: Double
    let checkpoint: String?

    /// The settings as a JSON object string.
    var settingsJSON: String {
        let object: [String: Any] = [
            "times": size.times, "step_fractions": size.stepFractions, "query_count": size.queryCount,
            "sample_count": size.sampleCount, "reference_sizes": size.referenceSizes, "diffusion_steps": size.diffusionSteps,
            "consistency_steps": size.consistencySteps, "width": size.width, "depth": size.depth, "t_min": 0.002,
            "seed": seed, "quick": quick, "checkpoint": checkpoint ?? "",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func write(folder: String) throws {
        try HDF5File.writeAtomically(to: (folder as NSString).appendingPathComponent("results.h5"), writeContents)
        let table = (folder as NSString).appendingPathComponent("table.md")
        try markdown.write(toFile: table, atomically: true, encoding: .utf8)
    }

    private func writeContents(_ file: HDF5File) throws {
        try file.setAttribute("format", Self.format)
        try file.setAttribute("toolkit_version", ToolkitVersion.current)
        try file.setAttribute("seed", seed)
        try file.setAttribute("quick", Int64(quick ? 1 : 0))
        try file.setAttribute("run_seconds", seconds)
        try file.setAttribute("settings", settingsJSON)
        try file.setAttribute("environments", studies.map(\.name))
        try file.setAttribute("checkpoint", checkpoint ?? "")
        for study in studies {
            let group = try file.createGroup(study.name)
            try group.setAttribute("dimension", Int64(study.dimension))
            try group.setAttribute("training_seconds", study.trainingSeconds)
            for bootstrap in study.bootstraps {
                let grid = bootstrap.grid
                let g = try group.createGroup(bootstrap.name)
                let j = grid.stepIndex(closestTo: study.peakFraction)
                try g.setAttribute("label", bootstrap.label)
                try g.setAttribute("estimators", grid.estimators)
                try g.setAttribute("peak_step_index", Int64(j))
                try g.setAttribute("peak_step_fraction", grid.stepFractions[j])
                try g.createDataset("times", values: grid.times)
                try g.createDataset("step_fractions", values: grid.stepFractions)
                try g.createDataset("step_sizes", values: grid.times.flatMap { t in grid.stepFractions.map { $0 * t } },
                                    shape: [grid.times.count, grid.stepFractions.count])
                let arrays: [(String, [Double])] = [
                    ("bias2", grid.squaredBias), ("bias2_stderr", grid.squaredBiasError), ("variance", grid.variance),
                    ("variance_stderr", grid.varianceError), ("mse", grid.meanSquaredError), ("mse_stderr", grid.meanSquaredErrorError),
                ]
                for (name, values) in arrays { try g.createDataset(name, values: values, shape: grid.shape) }
                var peaks: [Int64] = []
                for e in grid.estimators.indices {
                    for k in grid.stepFractions.indices { peaks.append(Int64(grid.variancePeak(estimator: e, step: k) ?? -1)) }
                }
                try g.createDataset("variance_peak_index", values: peaks, shape: [grid.estimators.count, grid.stepFractions.count])
                try g.createDataset("variance_peak_time", values: grid.estimators.indices.map { e in
                    grid.variancePeak(estimator: e, step: j).map { grid.times[$0] } ?? .nan
                })
            }
        }
    }

    /// The Markdown summary: per environment and bootstrap, the variance peak of every stochastic
    /// estimator and bias², variance and MSE (± bootstrap standard error) at the headline Δt/t.
    var markdown: String {
        var lines = ["# Step-size bias and variance", "",
                     "Toolkit \(ToolkitVersion.current) · seed \(seed) · \(quick ? "quick" : "full") size · M = \(size.queryCount) query states · "
                         + "S = \(size.sampleCount) draws · \(String(format: "%.1f", seconds)) s", ""]
        func number(_ value: Double) -> String { String(format: "%.3e", value) }
        for study in studies {
            for bootstrap in study.bootstraps {
                let grid = bootstrap.grid
                let j = grid.stepIndex(closestTo: study.peakFraction)
                lines.append("## \(study.name) (D = \(study.dimension)) · bootstrap \(bootstrap.name) (\(bootstrap.label))")
                lines.append("")
                lines.append(String(format: "Variance peak over t at Δt/t = %.3g:", grid.stepFractions[j]))
                lines.append("")
                lines.append("| estimator | peak t | variance at t = \(grid.times[0].formatted) | variance at peak | variance at t = \(grid.times[grid.times.count - 1].formatted) |")
                lines.append("|---|---|---|---|---|")
                for (e, estimator) in grid.estimators.enumerated() {
                    guard let peak = grid.variancePeak(estimator: e, step: j) else { continue }
                    let curve = grid.varianceCurve(estimator: e, step: j)
                    lines.append("| \(estimator) | \(grid.times[peak].formatted) | \(number(curve[0])) | \(number(curve[peak])) | \(number(curve[curve.count - 1])) |")
                }
                lines.append("")
                lines.append(String(format: "bias², variance and MSE (± bootstrap s.e.) at Δt/t = %.3g:", grid.stepFractions[j]))
                lines.append("")
                lines.append("| estimator | t | Δt | bias² | variance | MSE |")
                lines.append("|---|---|---|---|---|---|")
                for (e, estimator) in grid.estimators.enumerated() {
                    for (i, t) in grid.times.enumerated() {
                        let k = grid.index(e, i, j)
                        lines.append("| \(estimator) | \(t.formatted) | \(number(grid.stepFractions[j] * t)) | \(number(grid.squaredBias[k])) ± \(number(grid.squaredBiasError[k])) | "
                            + "\(number(grid.variance[k])) ± \(number(grid.varianceError[k])) | \(number(grid.meanSquaredError[k])) ± \(number(grid.meanSquaredErrorError[k])) |")
                    }
                }
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension Double {
    /// The shortest "%g" form.
    var formatted: String { String(format: "%g", self) }
}
