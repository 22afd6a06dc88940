import Foundation
import Tensors

/// A mixture of isotropic Gaussians p₀ = Σ_k w_k N(μ_k, s_k² I) in R^D, with everything about its
/// VE-noised marginals (x_t = x₀ + t z, METHODS.md §0) in closed form.
///
///     p_t(x)   = Σ_k w_k N(x; μ_k, (s_k² + t²) I)
///     r_k(x)   = w_k N(x; μ_k, (s_k² + t²) I) / p_t(x)                (posterior over components)
///     x₀ | x_t = x, k  ~  N(m_k, v_k I),   m_k = (t² μ_k + s_k² x) / (s_k² + t²),
///                                          v_k = s_k² t² / (s_k² + t²)
///     D(x, t)  = Σ_k r_k(x) m_k
///     ∇ log p_t(x) = (D(x, t) − x) / t² = Σ_k r_k(x) (μ_k − x) / (s_k² + t²)
///
/// The last form of the score is algebraically identical to Tweedie's and holds at t = 0 too (the
/// direct gradient of the data density), so it is the one computed. Component log-weights use a
/// log-sum-exp with the maximum subtracted, so far-away points do not underflow.
///
/// **Domain.** Every closed form takes a noise level t ≥ 0. These are non-throwing hot paths, so
/// a negative or NaN t does not trap: every output of that call is NaN (t enters only as t², and
/// t = −1 must not silently act as t = 1). A point with a NaN coordinate gets NaN outputs (its
/// log-density, score, responsibilities, denoised value and posterior draw), so the solvers' and the
/// MDP's non-finite guards see it.
///
/// Sampling draws a component k ~ w (written as the point's label when labels are requested; the
/// class count is the component count) and then μ_k + s_k z.
public struct GaussianMixture: ClosedFormDistribution, Sendable, Equatable {
    /// The spec kind (and the `kind` used in error messages).
    public static let kind = "gaussian-mixture"

    /// w_k, normalised to sum 1.
    public let weights: [Double]
    /// μ_k, K × D row-major.
    public let means: [Double]
    /// s_k > 0.
    public let standardDeviations: [Double]
    public let dimension: Int

    /// K, the number of components.
    public var componentCount: Int { weights.count }
    public var classCount: Int? { weights.count }

    private let logWeights: [Double]

    /// A mixture with weights ∝ `weights` (non-negative, positive sum; normalised here), component
    /// means `means` (K vectors of one dimension D) and standard deviations `standardDeviations`
    /// (K positive values). Throws ``DistributionSpecError`` on bad parameters.
    public init(weights: [Double], means: [[Double]], standardDeviations: [Double]) throws(DistributionSpecError) {
        let kind = Self.kind
        try ParameterValidation.sameLengths(
            ["weights": weights.count, "means": means.count, "stds": standardDeviations.count], kind: kind)
        self.weights = try ParameterValidation.normalisedWeights(weights, kind: kind)
        let (flat, dimension) = try ParameterValidation.flatMeans(means, kind: kind)
        try ParameterValidation.positive(standardDeviations, kind: kind, field: "stds")
        self.means = flat
        self.dimension = dimension
        self.standardDeviations = standardDeviations
        logWeights = self.weights.map { Foundation.log($0) }
    }

    /// μ_k as an array of D values.
    public func mean(ofComponent k: Int) -> [Double] { Array(means[k * dimension ..< (k + 1) * dimension]) }

    // MARK: Data statistics

    /// The exact per-dimension mean E[x₀,d] = Σ_k w_k μ_{k,d}.
    public var dataMean: [Double] {
        var mean = [Double](repeating: 0, count: dimension)
        for k in 0 ..< componentCount {
            for d in 0 ..< dimension { mean[d] += weights[k] * means[k * dimension + d] }
        }
        return mean
    }

    /// The exact per-dimension standard deviation σ_d = √(Σ_k w_k (s_k² + (μ_{k,d} − m_d)²)) with
    /// m_d = Σ_k w_k μ_{k,d}, the toy-data σ_d of METHODS.md §0. Centred on m_d first: the one-pass
    /// Σ w (s² + μ²) − m² cancels when the means are far from 0 (one component at 10⁶ with s = 0.01
    /// came out 10 % too large, at 10⁸ with s = 0.1 as 0).
    public var dataStandardDeviation: [Double] {
        let mean = dataMean
        var variance = [Double](repeating: 0, count: dimension)
        for k in 0 ..< componentCount {
            let componentVariance = standardDeviations[k] * standardDeviations[k]
            for d in 0 ..< dimension {
                let offset = means[k * dimension + d] - mean[d]
                variance[d] += weights[k] * (componentVariance + offset * offset)
            }
        }
        return variance.map { $0.squareRoot() }
    }

    // MARK: Sampling

    public func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        weights.withUnsafeBufferPointer { weightBuffer in
            for i in 0 ..< count {
                let k = StableMath.drawIndex(weights: weightBuffer, total: 1, stream: &stream)
                let row = points + i * dimension
                stream.fillNormal(row, count: dimension)
                let s = standardDeviations[k]
                for d in 0 ..< dimension { row[d] = means[k * dimension + d] + s * row[d] }
                labels?[i] = Int32(k)
            }
        }
    }

    // MARK: Closed forms

    /// The per-time constants of every component, computed once per call (not per point):
    /// `1/(s_k² + t²)` and `log w_k − (D/2)(log 2π + log(s_k² + t²))`, so a point's logit is
    /// `constant_k − ½‖x − μ_k‖² · inverseVariance_k`.
    @inline(__always)
    private func withComponentConstants<Result>(
        t: Double, _ body: (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * componentCount) { buffer in
            let inverseVariance = buffer.baseAddress!, constant = inverseVariance + componentCount
            let scratch = constant + componentCount
            let halfD = 0.5 * Double(dimension)
            for k in 0 ..< componentCount {
                let variance = standardDeviations[k] * standardDeviations[k] + t * t
                inverseVariance[k] = 1 / variance
                constant[k] = logWeights[k] - halfD * (StableMath.logTwoPi + Foundation.log(variance))
            }
            return body(inverseVariance, constant, scratch)
        }
    }

    /// Writes exp(logit_k − max) for every k into `weights` and returns (max, Σ_k exp(logit_k − max)),
    /// so r_k = weights[k] / sum and log p_t(x) = max + log sum. A NaN coordinate makes every logit
    /// NaN (which `Swift.max` skips): then both are NaN.
    @inline(__always)
    private func componentWeights(
        _ x: UnsafePointer<Double>, inverseVariance: UnsafePointer<Double>, constant: UnsafePointer<Double>,
        into weights: UnsafeMutablePointer<Double>
    ) -> (maximum: Double, sum: Double) {
        var maximum = -Double.infinity
        for k in 0 ..< componentCount {
            var squared = 0.0
            let mean = k * dimension
            for d in 0 ..< dimension {
                let difference = x[d] - means[mean + d]
                squared += difference * difference
            }
            let logit = constant[k] - 0.5 * squared * inverseVariance[k]
            weights[k] = logit
            maximum = Swift.max(maximum, logit)
        }
        guard maximum.isFinite else { return weights[0].isNaN ? (.nan, .nan) : (maximum, 0) }
        var total = 0.0
        for k in 0 ..< componentCount {
            let weight = Foundation.exp(weights[k] - maximum)
            weights[k] = weight
            total += weight
        }
        return (maximum, total)
    }

    /// Fills `count` outputs with NaN and returns true when t is negative or NaN (outside the domain
    /// t ≥ 0 of every closed form).
    @inline(__always)
    private static func rejectsTime(_ t: Double, filling output: UnsafeMutablePointer<Double>, count: Int) -> Bool {
        guard !(t >= 0) else { return false }
        output.update(repeating: .nan, count: count)
        return true
    }

    /// Runs `body(point, responsibilities r_k(x), log p_t(x))` for each point.
    private func withResponsibilities(_ points: UnsafePointer<Double>, count: Int, t: Double,
                                      _ body: (Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Double) -> Void) {
        withComponentConstants(t: t) { inverseVariance, constant, r in
            for i in 0 ..< count {
                let x = points + i * dimension
                let (maximum, total) = componentWeights(x, inverseVariance: inverseVariance, constant: constant, into: r)
                if total == 0 {
                    // Infinitely far from every component (an infinite coordinate, or |x − μ_k|² overflowing):
                    // log p_t = −∞, and the posterior over components is undefined.
                    r.update(repeating: .nan, count: componentCount)
                } else {
                    let inverseTotal = 1 / total
                    for k in 0 ..< componentCount { r[k] *= inverseTotal }
                }
                body(i, x, r, maximum + Foundation.log(total))
            }
        }
    }

    /// log p_t(x) = log Σ_k w_k N(x; μ_k, (s_k² + t²) I) (log-sum-exp), for t ≥ 0; NaN for a NaN point
    /// and for every point when t < 0 or t is NaN.
    public func logDensity(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        if Self.rejectsTime(t, filling: output, count: count) { return }
        withComponentConstants(t: t) { inverseVariance, constant, scratch in
            for i in 0 ..< count {
                let (maximum, total) = componentWeights(points + i * dimension, inverseVariance: inverseVariance,
                                                        constant: constant, into: scratch)
                output[i] = maximum + Foundation.log(total)
            }
        }
    }

    /// The posterior over components r_k(x) for each point (count × K), for t ≥ 0 (NaN otherwise, and NaN
    /// for a NaN point or one infinitely far from every component).
    public func componentPosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                                   into output: UnsafeMutablePointer<Double>) {
        if Self.rejectsTime(t, filling: output, count: count * componentCount) { return }
        withResponsibilities(points, count: count, t: t) { i, _, r, _ in
            for k in 0 ..< componentCount { output[i * componentCount + k] = r[k] }
        }
    }

    /// D(x, t) = Σ_k r_k(x) m_k, m_k = (t² μ_k + s_k² x) / (s_k² + t²). At t = 0, D(x, 0) = x; NaN for
    /// t < 0 or NaN t.
    public func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        guard t > 0 else {
            if Self.rejectsTime(t, filling: output, count: count * dimension) { return }
            // Every m_k = x when t = 0 (s_k > 0): return x exactly rather than Σ r_k x with rounding.
            output.update(from: points, count: count * dimension)
            return
        }
        // The hot path of every exact solve: constants per call, then per point one exp per
        // component and no logarithm, over raw pointers.
        let t2 = t * t, components = componentCount, dimension = self.dimension
        withComponentConstants(t: t) { inverseVariance, constant, weights in
            means.withUnsafeBufferPointer { meanBuffer in
                standardDeviations.withUnsafeBufferPointer { deviationBuffer in
                    let means = meanBuffer.baseAddress!, deviations = deviationBuffer.baseAddress!
                    for i in 0 ..< count {
                        let x = points + i * dimension, out = output + i * dimension
                        var maximum = -Double.infinity
                        for k in 0 ..< components {
                            var squared = 0.0
                            for d in 0 ..< dimension {
                                let difference = x[d] - means[k * dimension + d]
                                squared += difference * difference
                            }
                            let logit = constant[k] - 0.5 * squared * inverseVariance[k]
                            weights[k] = logit
                            maximum = Swift.max(maximum, logit)
                        }
                        var total = 0.0
                        for k in 0 ..< components {
                            let weight = Foundation.exp(weights[k] - maximum)
                            weights[k] = weight
                            total += weight
                        }
                        // D = Σ_k r_k (t² μ_k + s_k² x)/(s_k² + t²) = Σ_k (r_k t²/v_k) μ_k + (Σ_k r_k s_k²/v_k) x
                        let inverseTotal = 1 / total
                        for d in 0 ..< dimension { out[d] = 0 }
                        var shrink = 0.0
                        for k in 0 ..< components {
                            let r = weights[k] * inverseTotal * inverseVariance[k]
                            shrink += r * deviations[k] * deviations[k]
                            let meanWeight = r * t2
                            for d in 0 ..< dimension { out[d] += meanWeight * means[k * dimension + d] }
                        }
                        for d in 0 ..< dimension { out[d] += shrink * x[d] }
                    }
                }
            }
        }
    }

    /// ∇ₓ log p_t(x) = Σ_k r_k(x) (μ_k − x) / (s_k² + t²)  (= (D − x)/t² for t > 0; the direct
    /// mixture gradient at t = 0). NaN for a NaN point and for a point infinitely far from every component
    /// (log p_t = −∞: an infinite coordinate has no finite score, and 0 would read as "at a mode"), and for
    /// every point when t < 0 or t is NaN.
    public func score(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        if Self.rejectsTime(t, filling: output, count: count * dimension) { return }
        let t2 = t * t
        withResponsibilities(points, count: count, t: t) { i, x, r, logDensity in
            let out = output + i * dimension
            // A NaN or infinitely distant point: its r_k are NaN, which the `scale > 0` test below would
            // skip, leaving 0.
            guard logDensity > -.infinity else { out.update(repeating: .nan, count: dimension); return }
            for d in 0 ..< dimension { out[d] = 0 }
            for k in 0 ..< componentCount {
                let scale = r[k] / (standardDeviations[k] * standardDeviations[k] + t2)
                guard scale > 0 else { continue }
                for d in 0 ..< dimension { out[d] += scale * (means[k * dimension + d] - x[d]) }
            }
        }
    }

    /// Draws k ~ r(x), then x₀ ~ N(m_k, v_k I), x₀ = (t² μ_k + s_k² x)/(s_k² + t²) + √v_k z. At t = 0
    /// the draw is x up to rounding (v_k = 0 and m_k = (s_k² x)·(1/s_k²), which may differ from x in
    /// the last bit). The draw of a NaN point, or of one infinitely far from every component, is NaN; for t < 0 or NaN t every output is NaN and `stream`
    /// is not advanced.
    public func samplePosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                                into output: UnsafeMutablePointer<Double>, stream: inout RandomStream) {
        if Self.rejectsTime(t, filling: output, count: count * dimension) { return }
        let t2 = t * t
        withResponsibilities(points, count: count, t: t) { i, x, r, logDensity in
            var total = 0.0
            for j in 0 ..< componentCount { total += r[j] }
            let k = StableMath.drawIndex(weights: UnsafeBufferPointer(start: r, count: componentCount), total: total, stream: &stream)
            let s2 = standardDeviations[k] * standardDeviations[k]
            let mixing = 1 / (s2 + t2)
            let standardDeviation = (s2 * t2 * mixing).squareRoot()
            let out = output + i * dimension
            stream.fillNormal(out, count: dimension)
            for d in 0 ..< dimension {
                out[d] = (t2 * means[k * dimension + d] + s2 * x[d]) * mixing + standardDeviation * out[d]
            }
            // A NaN or infinitely distant point has no posterior (its r_k are NaN and k above is arbitrary);
            // the stream has advanced as for any point, so the draws of the other points do not depend on it.
            if !(logDensity > -.infinity) { out.update(repeating: .nan, count: dimension) }
        }
    }
}
