import Testing
import Tensors
@testable import Analysis

@Suite("Target error decomposition and bootstrap standard errors")
struct TargetErrorDecompositionTests {
    @Test("bias² subtracts the Monte Carlo noise variance/S and MSE is bias² + variance, per query state")
    func decompositionMatchesHandComputedValues() {
        let estimate = TargetDiagnosticsEstimate(name: "conditional", meanTarget: [0, 0, 0, 0], bias: [0.5, 0.1], variance: [0.8, 0.2])
        let parts = TargetErrorDecomposition(estimate, sampleCount: 4)
        #expect(parts.squaredBias == [0.25 - 0.2, 0.01 - 0.05])
        #expect(parts.variance == [0.8, 0.2])
        #expect(parts.meanSquaredError == [0.25 - 0.2 + 0.8, 0.01 - 0.05 + 0.2])
    }

    @Test("deterministic estimators (variance 0) keep bias² = bias² exactly")
    func deterministicEstimatorsAreNotCorrected() {
        let estimate = TargetDiagnosticsEstimate(name: "exact", meanTarget: [0, 0], bias: [3, 0.25], variance: [0, 0])
        let parts = TargetErrorDecomposition(estimate, sampleCount: 2)
        #expect(parts.squaredBias == [9, 0.0625])
        #expect(parts.meanSquaredError == [9, 0.0625])
    }

    @Test("the corrected bias² of S Gaussian draws around the truth is unbiased: its mean over many states is ≈ 0")
    func correctedSquaredBiasIsUnbiasedForZeroBias() {
        // For G ~ N(f*, 1) in D = 1 with S draws: ‖Ḡ − f*‖² has mean 1/S and the sample variance has mean 1.
        var stream = RandomStream(seed: 3, purpose: "test.decomposition", index: 0)
        let s = 8, m = 20_000
        var bias: [Double] = [], variance: [Double] = []
        var draws = [Double](repeating: 0, count: s)
        for _ in 0..<m {
            draws.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: s) }
            let mean = draws.reduce(0, +) / Double(s)
            bias.append(abs(mean))
            variance.append(draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s - 1))
        }
        let estimate = TargetDiagnosticsEstimate(name: "conditional", meanTarget: [Double](repeating: 0, count: m), bias: bias, variance: variance)
        let parts = TargetErrorDecomposition(estimate, sampleCount: s)
        let corrected = MonteCarloEstimate(values: parts.squaredBias)
        let naive = MonteCarloEstimate(values: bias.map { $0 * $0 })
        #expect(abs(corrected.mean) < 4 * corrected.standardError)
        #expect(abs(naive.mean - 1.0 / Double(s)) < 4 * naive.standardError)
        #expect(abs(MonteCarloEstimate(values: parts.meanSquaredError).mean - 1) < 0.03)
    }

    @Test("the bootstrap standard error agrees with s/√n for many values and is 0 for constant values")
    func bootstrapStandardErrorMatchesAnalyticError() {
        var stream = RandomStream(seed: 5, purpose: "test.bootstrap", index: 0)
        var values = [Double](repeating: 0, count: 400)
        values.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: 400) }
        let analytic = MonteCarloEstimate(values: values)
        let bootstrap = MonteCarloEstimate.bootstrap(values, resamples: 2000, seed: 1)
        #expect(bootstrap.mean == analytic.mean)
        #expect(abs(bootstrap.standardError / analytic.standardError - 1) < 0.1)
        #expect(MonteCarloEstimate.bootstrap([2, 2, 2, 2], resamples: 50, seed: 1).standardError == 0)
    }

    @Test("the bootstrap is a function of the values, B, the seed and the index")
    func bootstrapIsDeterministic() {
        let values: [Double] = [1, 4, 2, 8, 5, 7]
        let first = MonteCarloEstimate.bootstrap(values, resamples: 100, seed: 9, index: 2)
        #expect(first == MonteCarloEstimate.bootstrap(values, resamples: 100, seed: 9, index: 2))
        #expect(first.standardError != MonteCarloEstimate.bootstrap(values, resamples: 100, seed: 9, index: 3).standardError)
    }
}
