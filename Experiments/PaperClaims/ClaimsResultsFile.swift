import Agents
import Foundation
import HDF5

/// Writes `results.h5` (layout in Experiments/README.md) under a temporary name and renames it into place.
struct ClaimsResultsFile {
    static let format = "consistency-td.paper-claims"
    static let fileName = "results.h5"

    let size: ClaimSize
    let seeds: [UInt64]
    let arms: [ClaimArm: [ArmResult]]
    let measurements: [ClaimMeasurement]
    let seconds: Double
    let commandLine: [String]

    func write(to folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", Self.format)
            for (name, value) in Provenance.current.attributes { try file.setAttribute(name, value) }
            try file.setAttribute("seeds", seeds.map { Int64($0) })
            try file.setAttribute("steps", Int64(size.steps))
            try file.setAttribute("pretraining_steps", Int64(size.pretrainingSteps))
            try file.setAttribute("batch_size", Int64(size.batchSize))
            try file.setAttribute("width", Int64(size.width))
            try file.setAttribute("depth", Int64(size.depth))
            try file.setAttribute("samples", Int64(size.samples))
            try file.setAttribute("coupling_batches", Int64(size.couplingBatches))
            try file.setAttribute("coupling_batch_size", Int64(size.couplingBatchSize))
            try file.setAttribute("coupling_t", CouplingTargetVariance.time)
            try file.setAttribute("coupling_r", CouplingTargetVariance.targetTime)
            try file.setAttribute("maximum_time", ClaimTraining.maximumTime)
            try file.setAttribute("run_seconds", seconds)
            try file.setAttribute("command_line", commandLine.joined(separator: " "))
            try file.setAttribute("settings", size.description)
            try file.setAttribute("claims", measurements.map(\.claim.key))
            for arm in ClaimArm.allCases {
                guard let runs = arms[arm] else { continue }
                let group = try file.createGroup("arms/\(arm.rawValue)", createIntermediateGroups: true)
                try group.setAttribute("data", arm.usesHeavyTailedData ? "student-t-ring" : "ring8")
                let points = size.evaluationSteps.count
                try group.createDataset("curve_steps", values: size.evaluationSteps.map(Int64.init))
                try group.createDataset("curve_nll_gap_1step", values: runs.flatMap { $0.curve.map { $0.negativeLogLikelihoodGap ?? .nan } },
                                        shape: [runs.count, points])
                try group.createDataset("curve_sw2_1step", values: runs.flatMap { $0.curve.map(\.squaredSlicedWasserstein2) },
                                        shape: [runs.count, points])
                try group.createDataset("nll_gap_1step", values: runs.map { $0.final.negativeLogLikelihoodGap ?? .nan })
                try group.createDataset("coverage_1step", values: runs.map { $0.final.modeCoverage ?? .nan })
                try group.createDataset("sw2_1step", values: runs.map(\.final.squaredSlicedWasserstein2))
                try group.createDataset("seconds", values: runs.map(\.seconds))
            }
            for m in measurements {
                let group = try file.createGroup("claims/\(m.claim.key)", createIntermediateGroups: true)
                try group.setAttribute("paper", m.claim.paper)
                try group.setAttribute("statement", m.claim.statement)
                try group.setAttribute("metric", m.claim.metric)
                try group.setAttribute("better_arm", m.claim.betterArm)
                try group.setAttribute("worse_arm", m.claim.worseArm)
                try group.setAttribute("effect_mean", m.effect.mean)
                try group.setAttribute("effect_se", m.effect.standardError)
                try group.setAttribute("verdict", m.verdict.rawValue)
                try group.createDataset("better", values: m.better)
                try group.createDataset("worse", values: m.worse)
                try group.createDataset("effect", values: m.perSeedEffect)
            }
        }
    }
}
