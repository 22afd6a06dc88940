/// Eigenvalues (and optionally eigenvectors) of a real symmetric matrix by the cyclic Jacobi method
/// (Golub & Van Loan, *Matrix Computations*, §8.5): rotations J(p, q, θ) chosen to zero A[p, q],
///
///     θ = (A[q,q] − A[p,p]) / (2 A[p,q]),   t = sign(θ) / (|θ| + √(θ² + 1)),   c = 1/√(t² + 1),  s = t·c,
///
/// swept over every off-diagonal pair until the off-diagonal Frobenius norm is below
/// 10⁻¹⁴ · ‖A‖_F (quadratic convergence: a handful of sweeps at the feature sizes of the Fréchet
/// distance, d ≤ a few hundred). Accurate to a few ulps of ‖A‖ even for tiny eigenvalues, which is
/// what the matrix square roots of nearly singular covariances need.
struct SymmetricEigendecomposition {
    /// λ_i, in the order of the columns of ``vectors`` (not sorted).
    let values: [Double]
    /// V (n × n, row-major), orthogonal, A = V diag(λ) Vᵀ; empty unless vectors were asked for.
    let vectors: [Double]
    let size: Int

    /// `matrix` is n × n, row-major and symmetric (only its upper triangle is read).
    init(symmetric matrix: [Double], size n: Int, computeVectors: Bool, maximumSweeps: Int = 64) {
        precondition(matrix.count == n * n, "a \(n) × \(n) matrix needs \(n * n) values, got \(matrix.count)")
        var a = matrix
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        var v = [Double](repeating: 0, count: computeVectors ? n * n : 0)
        if computeVectors { for i in 0..<n { v[i * n + i] = 1 } }
        let scale = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let tolerance = 1e-14 * scale
        for _ in 0..<maximumSweeps {
            var offDiagonal = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { offDiagonal += 2 * a[p * n + q] * a[p * n + q] } }
            if offDiagonal.squareRoot() <= tolerance { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    let apq = a[p * n + q]
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    // A ← Jᵀ A J on rows/columns p and q.
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    a[p * n + q] = 0
                    a[q * n + p] = 0
                    if computeVectors {
                        for k in 0..<n {
                            let vkp = v[k * n + p], vkq = v[k * n + q]
                            v[k * n + p] = c * vkp - s * vkq
                            v[k * n + q] = s * vkp + c * vkq
                        }
                    }
                }
            }
        }
        self.values = (0..<n).map { a[$0 * n + $0] }
        self.vectors = v
        self.size = n
    }

    /// V diag(g(λ)) Vᵀ — a matrix function of A (needs the vectors).
    func applying(_ g: (Double) -> Double) -> [Double] {
        let n = size
        precondition(vectors.count == n * n, "the eigenvectors were not computed")
        let weights = values.map(g)
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * weights[k] * vectors[j * n + k] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }
}
