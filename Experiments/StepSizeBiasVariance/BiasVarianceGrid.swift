import Analysis

/// One environment × bootstrap of the study: bias², variance and MSE (``TargetErrorDecomposition``,
/// means over the M query states) of every estimator at every (t, Δt), with bootstrap standard errors
/// over the query states. Arrays are row-major [estimator, t, Δt].
struct BiasVarianceGrid: Equatable {
    var estimators: [String]
    var times: [Double]
    /// Δt/t per step index; Δt = fraction · t, r = t − Δt.
    var stepFractions: [Double]
    var squaredBias: [Double]
    var squaredBiasError: [Double]
    var variance: [Double]
    var varianceError: [Double]
    var meanSquaredError: [Double]
    var meanSquaredErrorError: [Double]

    var shape: [Int] { [estimators.count, times.count, stepFractions.count] }

    /// The flat index of (estimator e, time i, step j).
    func index(_ e: Int, _ i: Int, _ j: Int) -> Int { (e * times.count + i) * stepFractions.count + j }

    /// Collects the estimates of diagnostics runs over the same pairs (t outermost, then step index, as
    /// ``TargetDiagnosticsSettings`` orders them); `rename` maps each run's column names to the grid's
    /// (e.g. a network teacher's "teacher-heun" to "teacher-heun-network"). Standard errors are
    /// bootstrap standard errors with `resamples` resamples (stream index = flat grid index).
    init(runs: [(result: TargetDiagnosticsResult, rename: (String) -> String)], times: [Double], stepFractions: [Double],
         resamples: Int, seed: UInt64) throws {
        self.times = times
        self.stepFractions = stepFractions
        estimators = runs.flatMap { run in run.result.columnNames.map(run.rename) }
        guard Set(estimators).count == estimators.count else { throw ExperimentFailure("estimator names repeat across runs: \(estimators)") }
        let count = estimators.count * times.count * stepFractions.count
        squaredBias = Array(repeating: 0, count: count)
        squaredBiasError = squaredBias
        variance = squaredBias
        varianceError = squaredBias
        meanSquaredError = squaredBias
        meanSquaredErrorError = squaredBias
        var e = 0
        for run in runs {
            guard run.result.pairs.count == times.count * stepFractions.count else {
                throw ExperimentFailure("a diagnostics run has \(run.result.pairs.count) pairs, expected \(times.count) × \(stepFractions.count)")
            }
            for name in run.result.columnNames {
                for (k, estimate) in run.result.estimates(named: name).enumerated() {
                    let flat = index(e, k / stepFractions.count, k % stepFractions.count)
                    let parts = TargetErrorDecomposition(estimate, sampleCount: run.result.sampleCount)
                    let b = MonteCarloEstimate.bootstrap(parts.squaredBias, resamples: resamples, seed: seed, index: UInt64(3 * flat))
                    let v = MonteCarloEstimate.bootstrap(parts.variance, resamples: resamples, seed: seed, index: UInt64(3 * flat + 1))
                    let m = MonteCarloEstimate.bootstrap(parts.meanSquaredError, resamples: resamples, seed: seed, index: UInt64(3 * flat + 2))
                    squaredBias[flat] = b.mean
                    squaredBiasError[flat] = b.standardError
                    variance[flat] = v.mean
                    varianceError[flat] = v.standardError
                    meanSquaredError[flat] = m.mean
                    meanSquaredErrorError[flat] = m.standardError
                }
                e += 1
            }
        }
    }

    /// The step index whose fraction Δt/t is closest to `fraction` in log scale.
    func stepIndex(closestTo fraction: Double) -> Int {
        stepFractions.indices.min { abs(log(stepFractions[$0] / fraction)) < abs(log(stepFractions[$1] / fraction)) } ?? 0
    }

    /// The variance-vs-t curve of estimator e at step j.
    func varianceCurve(estimator e: Int, step j: Int) -> [Double] { times.indices.map { variance[index(e, $0, j)] } }

    /// Where the variance of estimator e at step j peaks over t: the index of the largest variance, or
    /// nil when the estimator's variance is 0 at every t (a deterministic estimator).
    func variancePeak(estimator e: Int, step j: Int) -> Int? {
        let curve = varianceCurve(estimator: e, step: j)
        guard let largest = curve.max(), largest > 0 else { return nil }
        return curve.firstIndex(of: largest)
    }
}

import Foundation
