extension SampleDistance {
    /// The squared Fréchet distance between the Gaussians fitted to two feature sets (Dowson & Landau
    /// 1982; the FID of Heusel et al. 2017 when the features are a classifier's penultimate layer —
    /// METHODS.md §9):
    ///
    ///     FD = ‖μ_a − μ_b‖² + tr Σ_a + tr Σ_b − 2 tr (Σ_a^½ Σ_b Σ_a^½)^½
    ///
    /// The trace term equals tr (Σ_a Σ_b)^½ of the usual formula but stays on symmetric matrices:
    /// Σ_a^½ comes from a Jacobi eigendecomposition of Σ_a, and tr (·)^½ is the sum of the square roots
    /// of the eigenvalues of the symmetric positive semi-definite M = Σ_a^½ Σ_b Σ_a^½ (eigenvalues below
    /// zero from rounding count as 0). Reported, as in the FID literature, without the outer square
    /// root; it is ≥ 0 up to rounding, 0 for identical moments and symmetric in a and b.
    public static func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws(SampleQualityError) -> Double {
        guard a.dimension == b.dimension else {
            throw .invalidSetting("the feature sets have dimensions \(a.dimension) and \(b.dimension); the Fréchet distance needs equal dimensions")
        }
        let d = a.dimension
        var meanTerm = 0.0
        for j in 0..<d { meanTerm += (a.mean[j] - b.mean[j]) * (a.mean[j] - b.mean[j]) }
        var traces = 0.0
        for j in 0..<d { traces += a.covariance[j * d + j] + b.covariance[j * d + j] }
        let rootA = SymmetricEigendecomposition(symmetric: a.covariance, size: d, computeVectors: true)
            .applying { max($0, 0).squareRoot() }
        let middle = symmetricProduct(rootA, b.covariance, rootA, size: d)
        let crossRoots = SymmetricEigendecomposition(symmetric: middle, size: d, computeVectors: false)
            .values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return meanTerm + traces - 2 * crossRoots
    }

    /// FD between the moments of two feature sets (n × d and m × d, row-major; n, m ≥ 2).
    public static func frechetDistance(_ features: [Double], _ reference: [Double], dimension: Int) throws(SampleQualityError) -> Double {
        try frechetDistance(FeatureStatistics(features: features, dimension: dimension),
                            FeatureStatistics(features: reference, dimension: dimension))
    }

    /// X Y Z for d × d row-major matrices, symmetrised against rounding (the result is symmetric in exact
    /// arithmetic when X = Z and both X and Y are symmetric).
    private static func symmetricProduct(_ x: [Double], _ y: [Double], _ z: [Double], size d: Int) -> [Double] {
        var result = product(product(x, y, size: d), z, size: d)
        for i in 0..<d {
            for j in (i + 1)..<max(i + 1, d) {
                let mean = (result[i * d + j] + result[j * d + i]) / 2
                result[i * d + j] = mean
                result[j * d + i] = mean
            }
        }
        return result
    }

    /// A B for d × d row-major matrices (rows of A scattered over rows of B, skipping zero entries).
    private static func product(_ a: [Double], _ b: [Double], size d: Int) -> [Double] {
        var result = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for k in 0..<d {
                let aik = a[i * d + k]
                if aik == 0 { continue }
                for j in 0..<d { result[i * d + j] += aik * b[k * d + j] }
            }
        }
        return result
    }
}
