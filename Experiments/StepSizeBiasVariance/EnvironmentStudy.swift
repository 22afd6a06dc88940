import Agents
import Analysis
import Environments
import Foundation

/// The study of one environment: a toy consistency model (or the given checkpoint) and its diffusion
/// teacher, then one ``BiasVarianceGrid`` per bootstrap (f* and the network).
struct EnvironmentStudy {
    let name: String
    let dimension: Int
    /// "exact" and the network's label, with their grids.
    let bootstraps: [(name: String, label: String, grid: BiasVarianceGrid)]
    /// The step fraction Δt/t at which the headline variance peak is reported.
    let peakFraction: Double
    /// Seconds spent training the toy model (0 with a checkpoint).
    let trainingSeconds: Double

    /// The estimators with the closed-form teacher: every one of METHODS.md §3.
    static func estimators(referenceSizes: [Int]) throws -> [TransitionEstimator] {
        try TargetDiagnosticsColumn.estimators(
            named: ["exact", "teacher-euler", "teacher-heun", "conditional", "score-identity", "empirical-exact"],
            referenceSizes: referenceSizes)
    }

    static func run(name: String, mixture: GaussianMixture, size: ExperimentSize, seed: UInt64, checkpoint: CheckpointModel?,
                    resamples: Int, clock: Date) throws -> EnvironmentStudy {
        let trainingStart = Date()
        let network: PreconditionedNetwork, networkLabel: String, teacher: PreconditionedNetwork?
        if let checkpoint {
            network = checkpoint.network
            networkLabel = checkpoint.label
            teacher = nil
        } else {
            let training = ToyConsistencyTraining(diffusionSteps: size.diffusionSteps, consistencySteps: size.consistencySteps,
                                                  width: size.width, depth: size.depth, maximumTime: 80, seed: seed)
            let trained = try training.train(on: mixture, reportEvery: max(1, size.diffusionSteps / 4)) { stage, done, total in
                print("    training \(stage) \(done)/\(total) · elapsed \(StepSizeBiasVarianceCommand.elapsed(clock))")
            }
            network = trained.consistency
            teacher = trained.diffusion
            networkLabel = "ect (\(size.diffusionSteps) diffusion + \(size.consistencySteps) ECT steps)"
        }
        let trainingSeconds = Date().timeIntervalSince(trainingStart)
        let fractions = size.stepFractions
        let steps = TargetStepRule.ratios(fractions.map { max(0, 1 - $0) })
        let estimators = try estimators(referenceSizes: size.referenceSizes)
        let bootstraps: [(String, String, DiagnosticBootstrap)] = [
            ("exact", "exact f*", .exact), ("network", networkLabel, .function(network, name: "network")),
        ]
        var grids: [(name: String, label: String, grid: BiasVarianceGrid)] = []
        for (b, (bootstrapName, label, bootstrap)) in bootstraps.enumerated() {
            print("  \(name) · bootstrap \(bootstrapName) (\(b + 1)/\(bootstraps.count)) · elapsed \(StepSizeBiasVarianceCommand.elapsed(clock))")
            let settings = TargetDiagnosticsSettings(times: size.times, steps: steps, columns: TargetDiagnosticsColumn.grid(estimators: estimators),
                                                     queryCount: size.queryCount, sampleCount: size.sampleCount, seed: seed)
            let closedForm = try diagnose(TargetDiagnostics(distribution: mixture, settings: settings, bootstrap: bootstrap), clock: clock)
            var runs: [(result: TargetDiagnosticsResult, rename: (String) -> String)] = [(closedForm, { $0 })]
            if let teacher {
                var teacherSettings = settings
                teacherSettings.columns = TargetDiagnosticsColumn.grid(estimators: [.teacher(.euler), .teacher(.heun)])
                let networkTeacher = try diagnose(TargetDiagnostics(distribution: mixture, settings: teacherSettings, bootstrap: bootstrap,
                                                                    teacher: teacher), clock: clock)
                runs.append((networkTeacher, { $0 + "-network" }))
            }
            let grid = try BiasVarianceGrid(runs: runs, times: size.times, stepFractions: fractions, resamples: resamples,
                                            seed: seed &+ UInt64(b))
            grids.append((bootstrapName, label, grid))
        }
        return EnvironmentStudy(name: name, dimension: mixture.dimension, bootstraps: grids, peakFraction: 0.1,
                                trainingSeconds: trainingSeconds)
    }

    static func diagnose(_ diagnostics: TargetDiagnostics<GaussianMixture>, clock: Date) throws -> TargetDiagnosticsResult {
        var reported = -1
        return try diagnostics.run { progress in
            let percent = progress.completed * 10 / progress.total
            if percent != reported {
                reported = percent
                print("    diagnostics \(progress.completed)/\(progress.total) targets · elapsed \(StepSizeBiasVarianceCommand.elapsed(clock))")
            }
        }
    }

    /// Prints where each stochastic estimator's variance peaks over t at the headline step fraction.
    func printPeaks() {
        for bootstrap in bootstraps {
            let grid = bootstrap.grid
            let j = grid.stepIndex(closestTo: peakFraction)
            for (e, estimator) in grid.estimators.enumerated() {
                guard let peak = grid.variancePeak(estimator: e, step: j) else { continue }
                let curve = grid.varianceCurve(estimator: e, step: j)
                print(String(format: "  variance peak · %@ · bootstrap %@ · %@ at Δt/t = %.3g: t = %g (variance %.3e; t = %g: %.3e, t = %g: %.3e)",
                             name, bootstrap.name, estimator, grid.stepFractions[j], grid.times[peak], curve[peak],
                             grid.times[0], curve[0], grid.times[grid.times.count - 1], curve[curve.count - 1]))
            }
        }
    }
}
