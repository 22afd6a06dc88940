import Foundation
import Tensors

/// A mixture of isotropic multivariate Student-t components (sampling only): the heavy-tailed
/// "impulsive outlier" data of the sLCT robustness ablations (Dao et al. 2025).
///
/// Component k has weight w_k (normalised), location μ_k ∈ R^D, scale c_k > 0 and degrees of
/// freedom ν_k > 0. A point is drawn as
///
///     k ~ w,   x₀ = μ_k + c_k · z / √(χ²/ν_k),   z ~ N(0, I_D),   χ² ~ χ²_{ν_k}
///
/// with one χ² shared by the D coordinates (the multivariate t). χ² is a sum of ν squared normals
/// when ν is an integer ≤ 64 and 2·Gamma(ν/2) by Marsaglia–Tsang otherwise. Each coordinate has
/// variance c_k² ν_k/(ν_k − 2) for ν_k > 2 (infinite for ν_k ≤ 2). The component is the label.
public struct StudentTMixture: DataDistribution, Sendable, Equatable {
    public static let kind = "student-t-mixture"
    /// w_k, normalised.
    public let weights: [Double]
    /// μ_k, K × D row-major.
    public let means: [Double]
    /// c_k > 0.
    public let scales: [Double]
    /// ν_k > 0.
    public let degreesOfFreedom: [Double]
    public let dimension: Int
    public var componentCount: Int { weights.count }
    public var classCount: Int? { weights.count }

    public init(weights: [Double], means: [[Double]], scales: [Double], degreesOfFreedom: [Double]) throws(DistributionSpecError) {
        let kind = Self.kind
        try ParameterValidation.sameLengths(
            ["weights": weights.count, "means": means.count, "scales": scales.count,
             "degrees_of_freedom": degreesOfFreedom.count], kind: kind)
        self.weights = try ParameterValidation.normalisedWeights(weights, kind: kind)
        (self.means, self.dimension) = try ParameterValidation.flatMeans(means, kind: kind)
        try ParameterValidation.positive(scales, kind: kind, field: "scales")
        try ParameterValidation.positive(degreesOfFreedom, kind: kind, field: "degrees_of_freedom")
        self.scales = scales
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// The per-coordinate variance of component k, c_k² ν_k/(ν_k − 2) (infinite when ν_k ≤ 2).
    public func componentVariance(_ k: Int) -> Double {
        let nu = degreesOfFreedom[k]
        return nu > 2 ? scales[k] * scales[k] * nu / (nu - 2) : .infinity
    }

    public func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                       stream: inout RandomStream) {
        weights.withUnsafeBufferPointer { weightBuffer in
            for n in 0 ..< count {
                let k = StableMath.drawIndex(weights: weightBuffer, total: 1, stream: &stream)
                let row = points + n * dimension
                stream.fillNormal(row, count: dimension)
                let nu = degreesOfFreedom[k]
                var chiSquared = stream.nextChiSquared(degreesOfFreedom: nu)
                if chiSquared <= 0 { chiSquared = .leastNormalMagnitude }
                let factor = scales[k] / (chiSquared / nu).squareRoot()
                for d in 0 ..< dimension { row[d] = means[k * dimension + d] + factor * row[d] }
                labels?[n] = Int32(k)
            }
        }
    }
}
