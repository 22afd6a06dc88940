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

    /// The exact per-dimension standard deviation σ_d = √(Σ_k w_k (s_k² + μ_{k,d}²) − (Σ_k w_k μ_{k,d})²),
    /// the toy-data σ_d of METHODS.md §0.
    public var dataStandardDeviation: [Double] {
        let mean = dataMean
        var secondMoment = [Double](repeating: 0, count: dimension)
        for k in 0 ..< componentCount {
            let variance = standardDeviations[k] * standardDeviations[k]
            for d in 0 ..< dimension {
                let mu = means[k * dimension + d]
                secondMoment[d] += weights[k] * (variance + mu * mu)
            }
        }
        return (0 ..< dimension).map { d in max(secondMoment[d] - mean[d] * mean[d], 0).squareRoot() }
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

    /// Writes log(w_k N(x; μ_k, (s_k² + t²) I)) for every k into `logits` and returns their
    /// log-sum-exp, log p_t(x).
    @inline(__always)
    private func componentLogits(_ x: UnsafePointer<Double>, t: Double, into logits: UnsafeMutablePointer<Double>) -> Double {
        var maximum = -Double.infinity
        let halfD = 0.5 * Double(dimension)
        for k in 0 ..< componentCount {
            let variance = standardDeviations[k] * standardDeviations[k] + t * t
            var squared = 0.0
            let mean = k * dimension
            for d in 0 ..< dimension {
                let difference = x[d] - means[mean + d]
                squared += difference * difference
            }
            let logit = logWeights[k] - 0.5 * squared / variance - halfD * (StableMath.logTwoPi + Foundation.log(variance))
            logits[k] = logit
            maximum = Swift.max(maximum, logit)
        }
        guard maximum.isFinite else { return maximum }
        var total = 0.0
        for k in 0 ..< componentCount { total += Foundation.exp(logits[k] - maximum) }
        return maximum + Foundation.log(total)
    }

    /// Runs `body(point, logits→responsibilities, log p_t)` for each point, with r_k(x) in the buffer.
    private func withResponsibilities(_ points: UnsafePointer<Double>, count: Int, t: Double,
                                      _ body: (Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Double) -> Void) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: componentCount) { buffer in
            let r = buffer.baseAddress!
            for i in 0 ..< count {
                let x = points + i * dimension
                let logDensity = componentLogits(x, t: t, into: r)
                for k in 0 ..< componentCount { r[k] = Foundation.exp(r[k] - logDensity) }
                body(i, x, r, logDensity)
            }
        }
    }

    /// log p_t(x) = log Σ_k w_k N(x; μ_k, (s_k² + t²) I) (log-sum-exp).
    public func logDensity(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: componentCount) { buffer in
            for i in 0 ..< count {
                output[i] = componentLogits(points + i * dimension, t: t, into: buffer.baseAddress!)
            }
        }
    }

    /// The posterior over components r_k(x) for each point (count × K).
    public func componentPosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                                   into output: UnsafeMutablePointer<Double>) {
        withResponsibilities(points, count: count, t: t) { i, _, r, _ in
            for k in 0 ..< componentCount { output[i * componentCount + k] = r[k] }
        }
    }

    /// D(x, t) = Σ_k r_k(x) m_k, m_k = (t² μ_k + s_k² x) / (s_k² + t²). At t = 0, D(x, 0) = x.
    public func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        guard t > 0 else {
            // Every m_k = x when t = 0 (s_k > 0): return x exactly rather than Σ r_k x with rounding.
            output.update(from: points, count: count * dimension)
            return
        }
        let t2 = t * t
        withResponsibilities(points, count: count, t: t) { i, x, r, _ in
            let out = output + i * dimension
            for d in 0 ..< dimension { out[d] = 0 }
            for k in 0 ..< componentCount {
                let s2 = standardDeviations[k] * standardDeviations[k]
                let scale = r[k] / (s2 + t2)
                guard scale > 0 else { continue }
                for d in 0 ..< dimension { out[d] += scale * (t2 * means[k * dimension + d] + s2 * x[d]) }
            }
        }
    }

    /// ∇ₓ log p_t(x) = Σ_k r_k(x) (μ_k − x) / (s_k² + t²)  (= (D − x)/t² for t > 0; the direct
    /// mixture gradient at t = 0).
    public func score(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) {
        let t2 = t * t
        withResponsibilities(points, count: count, t: t) { i, x, r, _ in
            let out = output + i * dimension
            for d in 0 ..< dimension { out[d] = 0 }
            for k in 0 ..< componentCount {
                let scale = r[k] / (standardDeviations[k] * standardDeviations[k] + t2)
                guard scale > 0 else { continue }
                for d in 0 ..< dimension { out[d] += scale * (means[k * dimension + d] - x[d]) }
            }
        }
    }

    /// Draws k ~ r(x), then x₀ ~ N(m_k, v_k I). At t = 0 this returns x itself.
    public func samplePosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                                into output: UnsafeMutablePointer<Double>, stream: inout RandomStream) {
        let t2 = t * t
        withResponsibilities(points, count: count, t: t) { i, x, r, _ in
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
        }
    }
}
