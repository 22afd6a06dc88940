import Foundation
import Tensors
@testable import Agents
@testable import Analysis
@testable import Environments

/// A 2-D mixture of three well-separated modes (standard deviation 0.3): its posterior at t ≈ 1 is
/// multimodal and f* is smooth enough for the small-step linearisation of the variance test.
func diagnosticsTestMixture() throws -> GaussianMixture {
    try GaussianMixture(weights: [1, 1, 1], means: [[1.2, 0], [-0.6, 1.0], [-0.6, -1.0]], standardDeviations: [0.3, 0.3, 0.3])
}

/// Cov[x₀ | x_t = x] of a Gaussian mixture in closed form (D × D, row-major): with component posteriors
/// π_k, posterior means m_k = (s_k² x + t² μ_k)/(s_k² + t²) and variances v_k = s_k² t²/(s_k² + t²),
/// Cov = Σ_k π_k (v_k I + m_k m_kᵀ) − m̄ m̄ᵀ, m̄ = Σ_k π_k m_k.
func posteriorCovariance(_ mixture: GaussianMixture, at x: [Double], time t: Double) -> [Double] {
    let d = mixture.dimension, kCount = mixture.componentCount
    var responsibilities = [Double](repeating: 0, count: kCount)
    x.withUnsafeBufferPointer { p in
        responsibilities.withUnsafeMutableBufferPointer { mixture.componentPosterior(p.baseAddress!, count: 1, time: t, into: $0.baseAddress!) }
    }
    var second = [Double](repeating: 0, count: d * d), mean = [Double](repeating: 0, count: d)
    for k in 0..<kCount {
        let s2 = mixture.standardDeviations[k] * mixture.standardDeviations[k], t2 = t * t
        let v = s2 * t2 / (s2 + t2)
        let m = (0..<d).map { (s2 * x[$0] + t2 * mixture.means[k * d + $0]) / (s2 + t2) }
        for a in 0..<d {
            mean[a] += responsibilities[k] * m[a]
            second[a * d + a] += responsibilities[k] * v
            for b in 0..<d { second[a * d + b] += responsibilities[k] * m[a] * m[b] }
        }
    }
    for a in 0..<d { for b in 0..<d { second[a * d + b] -= mean[a] * mean[b] } }
    return second
}

/// A consistency function that is f* plus a constant shift c (away from t_min): the bootstrap of a
/// "network" whose error is known exactly.
struct ShiftedExactValue: ConsistencyFunction {
    let exact: ExactValue<GaussianMixture>
    let shift: [Double]
    var dimension: Int { exact.dimension }
    var minimumTime: Double { exact.minimumTime }

    func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        var values = try exact.consistency(points, time: t)
        guard t > minimumTime else { return values }
        for i in values.indices { values[i] += shift[i % shift.count] }
        return values
    }
}

/// f* with `extra` values appended (or removed when negative): a bootstrap function of the wrong output size.
struct MiscountedValue: ConsistencyFunction {
    let exact: ExactValue<GaussianMixture>
    let extra: Int
    var dimension: Int { exact.dimension }
    var minimumTime: Double { exact.minimumTime }

    func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        let values = try exact.consistency(points, time: t)
        return extra < 0 ? Array(values.dropLast(-extra)) : values + [Double](repeating: 0, count: extra)
    }
}

/// Every Double of a result as raw bits, in a fixed order (for bit-identity checks).
func resultBits(_ result: TargetDiagnosticsResult) -> [UInt64] {
    var bits: [UInt64] = []
    for pair in result.pairs {
        bits += ([pair.time, pair.targetTime] + pair.data + pair.noisy + pair.exactValue).map(\.bitPattern)
        for estimate in pair.estimates {
            bits += (estimate.meanTarget + estimate.bias + estimate.variance).map(\.bitPattern)
            bits += [estimate.biasSummary.mean, estimate.biasSummary.standardError,
                     estimate.varianceSummary.mean, estimate.varianceSummary.standardError].map(\.bitPattern)
        }
    }
    return bits
}
