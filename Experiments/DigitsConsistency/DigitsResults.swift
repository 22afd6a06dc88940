import Agents
import Foundation
import HDF5

/// `results.h5` and `table.md` of a DigitsConsistency run. HDF5 layout (S seeds, R loss reports):
///
///     /   attrs format, toolkit_version, quick, first_seed, seeds, guidance, label_dropout,
///         classifier_sha256, data_fd (FD of the train split against the test split), run_seconds,
///         diffusion_steps, consistency_steps, batch_size, samples, channel_widths
///     /arms/<name>        attrs method, class_conditional, tunes_from_diffusion
///         fd_1step, fd_2step, accuracy_1step, accuracy_2step [S] (accuracy NaN when unconditional),
///         train_seconds [S], loss [S, R] (mean training loss of each block of iterations)
///     /references/<name>  (diffusion, diffusion-cond: EDM Heun with 18 steps)
///         fd_heun18, accuracy_heun18, train_seconds [S]
struct DigitsResults {
    static let format = "consistency-td.digits-consistency"
    let size: DigitsSize
    let arms: [DigitsArm]
    let guidance: Double
    let labelDropout: Double
    let firstSeed: UInt64
    let classifierSHA256: String
    let dataFD: Double
    let quick: Bool
    var runSeconds = 0.0

    private var frechet: [String: [Double]] = [:]
    private var accuracy: [String: [Double]] = [:]
    private var seconds: [String: [Double]] = [:]
    private var losses: [String: [[Double]]] = [:]
    private(set) var references: [String] = []

    init(size: DigitsSize, arms: [DigitsArm], guidance: Double, labelDropout: Double, firstSeed: UInt64,
         classifierSHA256: String, dataFD: Double, quick: Bool) {
        self.size = size
        self.arms = arms
        self.guidance = guidance
        self.labelDropout = labelDropout
        self.firstSeed = firstSeed
        self.classifierSHA256 = classifierSHA256
        self.dataFD = dataFD
        self.quick = quick
    }

    private func column(_ table: [String: [Double]], _ key: String) -> [Double] {
        table[key] ?? [Double](repeating: .nan, count: size.seeds)
    }

    private static func set(_ table: inout [String: [Double]], _ key: String, seed: Int, value: Double, seeds: Int) {
        var values = table[key] ?? [Double](repeating: .nan, count: seeds)
        values[seed] = value
        table[key] = values
    }

    mutating func record(reference name: String, seed: Int, score: (frechetDistance: Double, accuracy: Double?), seconds elapsed: Double) {
        if !references.contains(name) { references.append(name) }
        Self.set(&frechet, "\(name)/heun18", seed: seed, value: score.frechetDistance, seeds: size.seeds)
        Self.set(&accuracy, "\(name)/heun18", seed: seed, value: score.accuracy ?? .nan, seeds: size.seeds)
        Self.set(&seconds, name, seed: seed, value: elapsed, seeds: size.seeds)
    }

    mutating func record(arm name: String, steps: Int, seed: Int, score: (frechetDistance: Double, accuracy: Double?)) {
        Self.set(&frechet, "\(name)/\(steps)step", seed: seed, value: score.frechetDistance, seeds: size.seeds)
        Self.set(&accuracy, "\(name)/\(steps)step", seed: seed, value: score.accuracy ?? .nan, seeds: size.seeds)
    }

    mutating func record(arm name: String, seed: Int, losses curve: [Double], seconds elapsed: Double) {
        var curves = losses[name] ?? [[Double]](repeating: [], count: size.seeds)
        curves[seed] = curve
        losses[name] = curves
        Self.set(&seconds, name, seed: seed, value: elapsed, seeds: size.seeds)
    }

    /// Writes results.h5 (built as a temporary file and renamed) and table.md into `folder`.
    func write(folder: String) throws {
        let path = (folder as NSString).appendingPathComponent("results.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            try file.setAttribute("toolkit_version", ToolkitVersion.current)
            try file.setAttribute("quick", Int64(quick ? 1 : 0))
            try file.setAttribute("first_seed", firstSeed)
            try file.setAttribute("seeds", Int64(size.seeds))
            try file.setAttribute("guidance", guidance)
            try file.setAttribute("label_dropout", labelDropout)
            try file.setAttribute("classifier_sha256", classifierSHA256)
            try file.setAttribute("data_fd", dataFD)
            try file.setAttribute("run_seconds", runSeconds)
            try file.setAttribute("diffusion_steps", Int64(size.diffusionSteps))
            try file.setAttribute("consistency_steps", Int64(size.consistencySteps))
            try file.setAttribute("batch_size", Int64(size.batchSize))
            try file.setAttribute("samples", Int64(size.samples))
            try file.setAttribute("channel_widths", size.channelWidths.map(String.init).joined(separator: ","))
            for arm in arms {
                let group = try file.createGroup("arms/\(arm.name)", createIntermediateGroups: true)
                try group.setAttribute("method", arm.method.rawValue)
                try group.setAttribute("class_conditional", Int64(arm.classConditional ? 1 : 0))
                try group.setAttribute("tunes_from_diffusion", Int64(arm.tunesFromDiffusion ? 1 : 0))
                for steps in [1, 2] {
                    try group.createDataset("fd_\(steps)step", values: column(frechet, "\(arm.name)/\(steps)step"))
                    try group.createDataset("accuracy_\(steps)step", values: column(accuracy, "\(arm.name)/\(steps)step"))
                }
                try group.createDataset("train_seconds", values: column(seconds, arm.name))
                let curves = losses[arm.name] ?? []
                let reports = curves.map(\.count).max() ?? 0
                let flat = (0..<size.seeds).flatMap { s in
                    (0..<reports).map { r in s < curves.count && r < curves[s].count ? curves[s][r] : .nan }
                }
                try group.createDataset("loss", values: flat, shape: [size.seeds, reports])
            }
            for name in references {
                let group = try file.createGroup("references/\(name)", createIntermediateGroups: true)
                try group.createDataset("fd_heun18", values: column(frechet, "\(name)/heun18"))
                try group.createDataset("accuracy_heun18", values: column(accuracy, "\(name)/heun18"))
                try group.createDataset("train_seconds", values: column(seconds, name))
            }
        }
        try markdown.write(toFile: (folder as NSString).appendingPathComponent("table.md"), atomically: true, encoding: .utf8)
    }

    /// "mean ± SE" over the finite values (SE = sample SD/√n; "—" for none, the value alone for one).
    static func summary(_ values: [Double], digits: Int) -> String {
        let finite = values.filter { $0.isFinite }
        guard !finite.isEmpty else { return "—" }
        let mean = finite.reduce(0, +) / Double(finite.count)
        guard finite.count > 1 else { return String(format: "%.\(digits)f", mean) }
        let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count - 1)
        return String(format: "%.\(digits)f ± %.\(digits)f", mean, (variance / Double(finite.count)).squareRoot())
    }

    var markdown: String {
        let widths = size.channelWidths.map(String.init).joined(separator: "/")
        var lines = [
            "# Consistency models on the 8×8 digits", "",
            "Toolkit \(ToolkitVersion.current) · \(quick ? "quick" : "full") size · seeds \(firstSeed)…\(firstSeed + UInt64(size.seeds) - 1) · "
                + "U-Net widths \(widths) · diffusion \(size.diffusionSteps) + consistency \(size.consistencySteps) iterations at batch \(size.batchSize) · "
                + "\(size.samples) samples per model · guidance w = \(guidance) · label dropout \(labelDropout) · "
                + "classifier \(classifierSHA256.prefix(12))… · \(String(format: "%.0f", runSeconds)) s", "",
            "FD: Fréchet distance in the classifier's penultimate features against the test split (lower is better; "
                + "the train split scores \(String(format: "%.3f", dataFD))). Accuracy: the classifier's agreement with the requested class "
                + "(class-conditional models only). Mean ± standard error over seeds.", "",
            "| model | 1-step FD | 2-step FD | 1-step accuracy | 2-step accuracy | training s |",
            "|---|---|---|---|---|---|",
        ]
        for name in references {
            lines.append("| \(name) (Heun, 18 steps, 35 evaluations) | \(Self.summary(column(frechet, "\(name)/heun18"), digits: 3)) | — | "
                + "\(Self.summary(column(accuracy, "\(name)/heun18"), digits: 3)) | — | \(Self.summary(column(seconds, name), digits: 0)) |")
        }
        for arm in arms {
            lines.append("| \(arm.name) | \(Self.summary(column(frechet, "\(arm.name)/1step"), digits: 3)) | "
                + "\(Self.summary(column(frechet, "\(arm.name)/2step"), digits: 3)) | \(Self.summary(column(accuracy, "\(arm.name)/1step"), digits: 3)) | "
                + "\(Self.summary(column(accuracy, "\(arm.name)/2step"), digits: 3)) | \(Self.summary(column(seconds, arm.name), digits: 0)) |")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
