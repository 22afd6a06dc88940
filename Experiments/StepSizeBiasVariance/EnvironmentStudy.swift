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
                    resamples: Int, clock: Date, profile: PhaseProfile = PhaseProfile()) throws -> EnvironmentStudy {
        let trainingStart = Date(), trainingClock = PhaseProfile.now()
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
        profile.add("training", since: trainingClock)
        let fractions = size.stepFractions
        let steps = TargetStepRule.ratios(fractions.map { max(0, 1 - $0) })
        let estimators = try estimators(referenceSizes: size.referenceSizes)
        let bootstraps: [(name: String, label: String, bootstrap: DiagnosticBootstrap)] = [
            ("exact", "exact f*", .exact), ("network", networkLabel, .function(network, name: "network")),
        ]
        // Both bootstraps in one diagnostics run: the draws and the estimators' moves are shared, only
        // the bootstrap values differ (bit for bit the results of one run per bootstrap).
        print("  \(name) · bootstraps \(bootstraps.map(\.name).joined(separator: ", ")) · elapsed \(StepSizeBiasVarianceCommand.elapsed(clock))")
        let settings = TargetDiagnosticsSettings(times: size.times, steps: steps, columns: TargetDiagnosticsColumn.grid(estimators: estimators),
                                                 queryCount: size.queryCount, sampleCount: size.sampleCount, seed: seed)
        let closedForm = try diagnose(TargetDiagnostics(distribution: mixture, settings: settings), bootstraps: bootstraps.map(\.bootstrap),
                                      clock: clock, profile: profile, phase: "closed form")
        var networkTeacher: [TargetDiagnosticsResult]?
        if let teacher {
            var teacherSettings = settings
            teacherSettings.columns = TargetDiagnosticsColumn.grid(estimators: [.teacher(.euler), .teacher(.heun)])
            networkTeacher = try diagnose(TargetDiagnostics(distribution: mixture, settings: teacherSettings, teacher: teacher),
                                          bootstraps: bootstraps.map(\.bootstrap), clock: clock, profile: profile, phase: "network teacher")
        }
        var grids: [(name: String, label: String, grid: BiasVarianceGrid)] = []
        for (b, bootstrap) in bootstraps.enumerated() {
            var runs: [(result: TargetDiagnosticsResult, rename: (String) -> String)] = [(closedForm[b], { $0 })]
            if let networkTeacher { runs.append((networkTeacher[b], { $0 + "-network" })) }
            let grid = try profile.time("bootstrap standard errors") {
                try BiasVarianceGrid(runs: runs, times: size.times, stepFractions: fractions, resamples: resamples, seed: seed &+ UInt64(b))
            }
            grids.append((bootstrap.name, bootstrap.label, grid))
        }
        return EnvironmentStudy(name: name, dimension: mixture.dimension, bootstraps: grids, peakFraction: 0.1,
                                trainingSeconds: trainingSeconds)
    }

    /// Runs the diagnostics once for all `bootstraps` with progress lines; the time between progress
    /// reports goes to the phase "<phase> · <column>" (the first column of a pair also carries the pair's
    /// query and posterior draws).
    static func diagnose(_ diagnostics: TargetDiagnostics<GaussianMixture>, bootstraps: [DiagnosticBootstrap], clock: Date,
                         profile: PhaseProfile, phase: String) throws -> [TargetDiagnosticsResult]
    {
        var reported = -1
        var last = PhaseProfile.now()
        return try diagnostics.run(bootstraps: bootstraps) { progress in
            last = profile.add("\(phase) · \(progress.column)", since: last)
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
