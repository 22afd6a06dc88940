import Agents
import Foundation
import HDF5

/// Writes `results.h5` (layout in Experiments/README.md) to a temporary name in the output folder and
/// renames it into place, so a reader never sees a half-written file.
struct AblationResultsFile {
    static let format = "consistency-td.td-target-ablation"
    static let fileName = "results.h5"
    /// 1-step samples kept per configuration (first seed) for scatter plots.
    static let keptSamples = 256

    let size: AblationSize
    let baseSeed: UInt64
    let tables: [AblationTable]
    let teachers: [[Teacher]]
    let seconds: Double
    let commandLine: [String]

    func write(to folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        try HDF5File.writeAtomically(to: path) { file in
            try writeRoot(file)
            for (e, table) in tables.enumerated() { try writeEnvironment(table, teachers: teachers[e], into: try file.createGroup(table.environment.name)) }
        }
    }

    private func writeRoot(_ file: HDF5File) throws {
        try file.setAttribute("format", Self.format)
        for (name, value) in Provenance.current.attributes { try file.setAttribute(name, value) }
        try file.setAttribute("base_method", "ect")
        try file.setAttribute("base_seed", Int64(baseSeed))
        try file.setAttribute("seeds", (0..<size.seeds).map { Int64(baseSeed) + Int64($0) })
        try file.setAttribute("steps", Int64(size.steps))
        try file.setAttribute("pretraining_steps", Int64(size.pretrainingSteps))
        try file.setAttribute("batch_size", Int64(size.batchSize))
        try file.setAttribute("width", Int64(size.width))
        try file.setAttribute("depth", Int64(size.depth))
        try file.setAttribute("samples", Int64(size.samples))
        try file.setAttribute("maximum_time", AblationTraining.maximumTime)
        try file.setAttribute("middle_time", AblationTraining.middleTime)
        try file.setAttribute("run_seconds", seconds)
        try file.setAttribute("command_line", commandLine.joined(separator: " "))
        try file.setAttribute("settings", size.description)
        try file.setAttribute("environments", tables.map(\.environment.name))
    }

    private func writeEnvironment(_ table: AblationTable, teachers: [Teacher], into group: HDF5Group) throws {
        let configurations = table.configurations, seeds = size.seeds
        let dimension = table.environment.mixture.dimension
        try group.setAttribute("summary", table.environment.summary)
        try group.setAttribute("dimension", Int64(dimension))
        if let data = table.runs.first?.first?.oneStep.negativeLogLikelihood, let gap = table.runs.first?.first?.oneStep.negativeLogLikelihoodGap {
            try group.setAttribute("data_nll", data.mean - gap)
        }
        try group.setAttribute("teacher_heun18_nll_gap", teachers.map { $0.heunScore.negativeLogLikelihoodGap ?? .nan })
        try group.setAttribute("teacher_heun18_coverage", teachers.map { $0.heunScore.modeCoverage ?? .nan })
        try group.setAttribute("teacher_seconds", teachers.map(\.seconds))
        try group.createStringDataset("configurations/target", strings: configurations.map { "\($0.target)" }, createIntermediateGroups: true)
        try group.createStringDataset("configurations/estimator", strings: configurations.map { "\($0.estimator)" }, createIntermediateGroups: true)
        // Runs, configuration-major: row c · S + s.
        let runs = table.runs.flatMap { $0 }
        try group.createDataset("runs/configuration", values: configurations.indices.flatMap { c in [Int64](repeating: Int64(c), count: seeds) },
                                createIntermediateGroups: true)
        try group.createDataset("runs/seed", values: configurations.indices.flatMap { _ in (0..<seeds).map { Int64(baseSeed) + Int64($0) } })
        for metric in AblationMetric.allCases { try group.createDataset("runs/\(metric.rawValue)", values: runs.map(metric.value)) }
        try group.createDataset("runs/seconds", values: runs.map(\.seconds))
        try group.createDataset("runs/non_finite_1step", values: runs.map { Int64($0.oneStep.nonFiniteSampleCount) })
        // Learning curves [R, E].
        let points = size.evaluationSteps.count
        try group.createDataset("curves/steps", values: size.evaluationSteps.map(Int64.init), createIntermediateGroups: true)
        try group.createDataset("curves/nll_gap_1step", values: runs.flatMap { $0.curve.map { $0.negativeLogLikelihoodGap ?? .nan } },
                                shape: [runs.count, points])
        try group.createDataset("curves/coverage_1step", values: runs.flatMap { $0.curve.map { $0.modeCoverage ?? .nan } },
                                shape: [runs.count, points])
        try group.createDataset("curves/sw2_1step", values: runs.flatMap { $0.curve.map(\.squaredSlicedWasserstein2) },
                                shape: [runs.count, points])
        // The aggregated table [C].
        for metric in AblationMetric.allCases {
            let estimates = configurations.indices.map { table.estimate(metric, configuration: $0) }
            try group.createDataset("table/\(metric.rawValue)_mean", values: estimates.map(\.mean), createIntermediateGroups: true)
            try group.createDataset("table/\(metric.rawValue)_se", values: estimates.map(\.standardError))
        }
        try group.createDataset("table/seed_count", values: configurations.map { _ in Int64(seeds) })
        // 1-step samples of the first seed [C, n, D] (float32).
        let kept = min(Self.keptSamples, size.samples)
        let samples = table.runs.flatMap { Array($0[0].oneStep.samples.prefix(kept * dimension)).map(Float.init) }
        try group.createDataset("samples_1step", values: samples, shape: [configurations.count, kept, dimension])
    }
}
