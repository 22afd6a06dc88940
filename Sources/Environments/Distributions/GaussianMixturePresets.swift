import Foundation
import Tensors

/// Standard toy mixtures, all with equal weights and one standard deviation for every component.
extension GaussianMixture {
    /// K modes evenly spaced on a circle of radius `radius` in 2-D: μ_k = radius (cos 2πk/K, sin 2πk/K).
    public static func ring(modes: Int = 8, radius: Double = 4, std: Double = 0.1) throws(DistributionSpecError) -> GaussianMixture {
        try ParameterValidation.positive(modes, kind: "ring", field: "modes")
        try ParameterValidation.positive(radius, kind: "ring", field: "radius")
        try ParameterValidation.positive(std, kind: "ring", field: "std")
        do { try MemoryBudget.check("modes × (2 means + weight + std)", [modes, 4], bytesPerElement: 8, operation: "ring") } catch {
            throw .invalidValue(kind: "ring", field: "modes", reason: "\(modes) modes cannot fit in memory (\(error))")
        }
        let means = (0 ..< modes).map { k -> [Double] in
            let angle = 2 * Double.pi * Double(k) / Double(modes)
            return [radius * Foundation.cos(angle), radius * Foundation.sin(angle)]
        }
        return try GaussianMixture(weights: [Double](repeating: 1, count: modes), means: means,
                                   standardDeviations: [Double](repeating: std, count: modes))
    }

    /// A K × K square grid of modes in 2-D centred on the origin with `spacing` between neighbours:
    /// μ_{i,j} = spacing ((i − (K−1)/2), (j − (K−1)/2)), component index k = i K + j.
    public static func grid(side: Int = 5, spacing: Double = 2, std: Double = 0.1) throws(DistributionSpecError) -> GaussianMixture {
        try ParameterValidation.positive(side, kind: "grid", field: "side")
        try ParameterValidation.positive(spacing, kind: "grid", field: "spacing")
        try ParameterValidation.positive(std, kind: "grid", field: "std")
        let centre = Double(side - 1) / 2
        var means: [[Double]] = []
        for i in 0 ..< side {
            for j in 0 ..< side { means.append([spacing * (Double(i) - centre), spacing * (Double(j) - centre)]) }
        }
        return try GaussianMixture(weights: [Double](repeating: 1, count: side * side), means: means,
                                   standardDeviations: [Double](repeating: std, count: side * side))
    }

    /// K modes in R^D with means μ_k = spread · ξ_k, ξ_k ~ N(0, I) drawn from the stream
    /// `RandomStream(seed: seed, purpose: "gaussian-mixture.random-means")` (component by component,
    /// D normals each), equal weights and standard deviation `std`. The same seed gives the same
    /// mixture on every machine.
    public static func random(dimension: Int, modes: Int, seed: UInt64, spread: Double = 1,
                              std: Double = 0.1) throws(DistributionSpecError) -> GaussianMixture {
        try ParameterValidation.positive(dimension, kind: "random-gaussian-mixture", field: "dimension")
        try ParameterValidation.positive(modes, kind: "random-gaussian-mixture", field: "modes")
        try ParameterValidation.positive(spread, kind: "random-gaussian-mixture", field: "spread")
        try ParameterValidation.positive(std, kind: "random-gaussian-mixture", field: "std")
        var stream = RandomStream(seed: seed, purpose: "gaussian-mixture.random-means")
        var means: [[Double]] = []
        for _ in 0 ..< modes {
            var mean = [Double](repeating: 0, count: dimension)
            mean.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: dimension) }
            means.append(mean.map { spread * $0 })
        }
        return try GaussianMixture(weights: [Double](repeating: 1, count: modes), means: means,
                                   standardDeviations: [Double](repeating: std, count: modes))
    }
}
