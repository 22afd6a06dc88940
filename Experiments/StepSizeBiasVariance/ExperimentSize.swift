/// The size of a run: the preset sizes (`--quick` or full) that the size options override.
struct ExperimentSize: Equatable {
    /// The times t of the query states.
    var times: [Double]
    /// How many log-spaced step fractions Δt/t from 10⁻³ to 1.
    var stepCount: Int
    /// M query states per pair and S target draws per query state.
    var queryCount: Int
    var sampleCount: Int
    /// The reference sizes n of the score-identity estimator.
    var referenceSizes: [Int]
    /// Iterations of the toy diffusion pretraining and ECT, and the networks' width and depth.
    var diffusionSteps: Int
    var consistencySteps: Int
    var width: Int
    var depth: Int

    /// The full size of the study (documented in Experiments/README.md with its measured run time). Every
    /// target with the f* bootstrap costs one adaptive Dormand–Prince solve (tolerance 1e−9, ≈ 700
    /// denoiser calls), so the cost grows with M·S × pairs × stochastic estimators; M = 32, S = 64 and
    /// 2000 + 2000 training steps keep the run within about half an hour on two shared cores
    /// (M = 128, S = 256 with 4000 + 4000 would take tens of hours).
    static let full = ExperimentSize(times: [0.1, 0.5, 1, 2, 5, 10, 40], stepCount: 16, queryCount: 32, sampleCount: 64,
                                     referenceSizes: [16, 128, 512], diffusionSteps: 2000, consistencySteps: 2000, width: 128, depth: 3)
    /// The reduced size of `--quick`: a few minutes on two cores with one BLAS thread.
    static let quick = ExperimentSize(times: [0.1, 0.5, 1, 2, 5, 10, 40], stepCount: 12, queryCount: 16, sampleCount: 32,
                                      referenceSizes: [8, 64], diffusionSteps: 400, consistencySteps: 400, width: 64, depth: 2)

    /// Δt/t for every step index: 10^(−3 + 3 j/(K − 1)), j = 0 … K − 1 (one value, 1, when K = 1).
    var stepFractions: [Double] {
        guard stepCount > 1 else { return [1] }
        return (0..<stepCount).map { j in j == stepCount - 1 ? 1 : Double.pow10(-3 + 3 * Double(j) / Double(stepCount - 1)) }
    }
}

extension Double {
    /// 10^x.
    static func pow10(_ x: Double) -> Double { exp(x * log(10)) }
}

import Foundation
