/// The first two moments of a set of feature vectors, which is all the Fréchet distance reads:
///
///     μ = (1/n) Σ_i f_i,        Σ = 1/(n − 1) Σ_i (f_i − μ)(f_i − μ)ᵀ
///
/// (the unbiased covariance, as in the reference FID code). Accumulated in Double from centred
/// values, so feature sets with a large common offset keep their small covariances.
public struct FeatureStatistics: Sendable, Equatable {
    /// d, the feature dimension.
    public let dimension: Int
    /// n, the number of feature vectors.
    public let count: Int
    /// μ (d values).
    public let mean: [Double]
    /// Σ (d × d, row-major, symmetric).
    public let covariance: [Double]

    /// The moments of `features` (n × d, row-major). Needs n ≥ 2 rows and finite values.
    public init(features: [Double], dimension: Int) throws(SampleQualityError) {
        guard dimension > 0 else { throw .invalidSetting("the feature dimension must be ≥ 1, got \(dimension)") }
        guard !features.isEmpty else { throw .emptySamples }
        guard features.count % dimension == 0 else { throw .dimensionMismatch(values: features.count, dimension: dimension) }
        let n = features.count / dimension
        guard n >= 2 else {
            throw .invalidSetting("a covariance needs at least 2 feature vectors, got \(n)")
        }
        if let bad = features.firstIndex(where: { !$0.isFinite }) {
            throw .invalidSetting("feature \(bad % dimension) of vector \(bad / dimension) is \(features[bad]); the Fréchet distance needs finite features")
        }
        var mean = [Double](repeating: 0, count: dimension)
        for i in 0..<n { for j in 0..<dimension { mean[j] += features[i * dimension + j] } }
        for j in 0..<dimension { mean[j] /= Double(n) }
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        var centred = [Double](repeating: 0, count: dimension)
        for i in 0..<n {
            for j in 0..<dimension { centred[j] = features[i * dimension + j] - mean[j] }
            for j in 0..<dimension {
                let cj = centred[j]
                for k in j..<dimension { covariance[j * dimension + k] += cj * centred[k] }
            }
        }
        for j in 0..<dimension {
            for k in j..<dimension {
                let value = covariance[j * dimension + k] / Double(n - 1)
                covariance[j * dimension + k] = value
                covariance[k * dimension + j] = value
            }
        }
        self.dimension = dimension
        self.count = n
        self.mean = mean
        self.covariance = covariance
    }

    /// Moments given directly (e.g. of a known Gaussian): μ (d values) and a symmetric, positive
    /// semi-definite Σ (d × d, row-major; eigenvalues below −10⁻⁹ · max |λ| are refused, since the Fréchet
    /// distance's matrix square roots would silently clip them); `count` ≥ 0 records how many vectors they
    /// summarise (0 for known moments).
    public init(mean: [Double], covariance: [Double], count: Int) throws(SampleQualityError) {
        let d = mean.count
        guard d > 0 else { throw .invalidSetting("the mean must have ≥ 1 value") }
        guard covariance.count == d * d else {
            throw .invalidSetting("a \(d)-dimensional mean needs a \(d) × \(d) covariance (\(d * d) values), got \(covariance.count)")
        }
        guard (mean + covariance).allSatisfy({ $0.isFinite }) else { throw .invalidSetting("the moments must be finite") }
        for i in 0..<d {
            for j in (i + 1)..<max(i + 1, d) where abs(covariance[i * d + j] - covariance[j * d + i]) > 1e-12 * max(1, abs(covariance[i * d + j])) {
                throw .invalidSetting("the covariance is not symmetric: Σ[\(i), \(j)] = \(covariance[i * d + j]) but Σ[\(j), \(i)] = \(covariance[j * d + i])")
            }
        }
        guard count >= 0 else { throw .invalidSetting("the moments summarise \(count) vectors; expected a count ≥ 0") }
        let eigenvalues = SymmetricEigendecomposition(symmetric: covariance, size: d, computeVectors: false).values
        let scale = eigenvalues.map(abs).max() ?? 0
        if let smallest = eigenvalues.min(), smallest < -1e-9 * scale {
            throw .invalidSetting("the covariance is not positive semi-definite: its smallest eigenvalue is \(smallest); expected eigenvalues ≥ 0")
        }
        self.dimension = d
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// The moments of Float features (n × d, row-major), accumulated in Double.
    public init(features: [Float], dimension: Int) throws(SampleQualityError) {
        try self.init(features: features.map { Double($0) }, dimension: dimension)
    }
}
