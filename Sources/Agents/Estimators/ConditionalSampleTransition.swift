/// The conditional single-sample estimator of CT, iCT and ECT (METHODS.md §3.3): with the (x₀, z) that
/// made x_t = x₀ + t·z,
///
///     x̂_r = x₀ + r·z
///
/// Every estimated point lies on the straight line x₀ + τ z, so an n-step rollout equals one step of
/// size t − τ_n. Unbiased for the Euler step with the true denoiser; covariance (t − r)² Cov[x₀ | x_t] / t².
public struct ConditionalSampleTransition: TransitionEstimating {
    public let data: [Double]
    public let noise: [Double]
    public let dimension: Int

    public init(data: [Double], noise: [Double], dimension: Int) throws {
        guard dimension > 0, data.count == noise.count, data.count % dimension == 0 else {
            throw AgentError.shapeMismatch("conditional estimator: \(data.count) data and \(noise.count) noise values in dimension \(dimension); expected equal counts, a multiple of D")
        }
        self.data = data
        self.noise = noise
        self.dimension = dimension
    }

    public func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let rows = try TransitionValidation.rows(points, times: times, targetTimes: targetTimes, dimension: dimension)
        guard rows * dimension == data.count else {
            throw AgentError.shapeMismatch("conditional estimator holds \(data.count / dimension) rows of (x₀, z) but got \(rows) points")
        }
        var result = points
        for row in 0..<rows where targetTimes[row] != times[row] {
            let r = targetTimes[row]
            for j in (row * dimension)..<((row + 1) * dimension) { result[j] = data[j] + r * noise[j] }
        }
        return result
    }
}
