/// The conditional single-sample transition estimator of consistency training (CT, iCT, ECT;
/// METHODS.md §3.3): with the (x₀, z) that made x_t = x₀ + t·z,
///
///     x̂_r = x₀ + r·z
///
/// It needs no denoiser. Given x_t it is unbiased for the exact Euler step with the true denoiser,
/// E[x̂_r | x_t] = x_t + (r − t)(x_t − D(x_t, t))/t, with covariance (t − r)² Cov[x₀ | x_t] / t².
public enum ConditionalSampleEstimator {
    /// Builds x_t = x₀ + t·z and x̂_r = x₀ + r·z for a batch (count × dimension each), one (t, r) per row.
    public static func transition(
        data: UnsafePointer<Double>, noise: UnsafePointer<Double>, count: Int, dimension: Int,
        times: UnsafePointer<Double>, targetTimes: UnsafePointer<Double>,
        noisy: UnsafeMutablePointer<Double>, estimate: UnsafeMutablePointer<Double>
    ) {
        for row in 0..<count {
            let t = times[row], r = targetTimes[row]
            for j in 0..<dimension {
                let i = row * dimension + j
                noisy[i] = data[i] + t * noise[i]
                estimate[i] = data[i] + r * noise[i]
            }
        }
    }
}
