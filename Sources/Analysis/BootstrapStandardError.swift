import Tensors

extension MonteCarloEstimate {
    /// The mean of `values` with a nonparametric bootstrap standard error (Efron & Tibshirani 1993, "An
    /// Introduction to the Bootstrap", ch. 6): B resamples of n values drawn with replacement,
    /// standardError = √(Σ_b (m_b − m̄)² / (B − 1)) over the resample means m_b (NaN for one value, as in
    /// ``MonteCarloEstimate/init(values:)``: every resample of one value is that value). The resampling indices
    /// come from `RandomStream(seed: seed, purpose: "analysis.bootstrap", index: index)`, so the result is
    /// a function of the values, B, the seed and the index. For large n it agrees with the analytic
    /// standard error s/√n (ddof = 1) up to a factor √((n − 1)/n) and the resampling noise ~ 1/√(2B).
    public static func bootstrap(_ values: [Double], resamples: Int = 200, seed: UInt64, index: UInt64 = 0) -> MonteCarloEstimate {
        precondition(!values.isEmpty, "a bootstrap estimate needs at least one value")
        precondition(resamples >= 2, "a bootstrap standard error needs at least 2 resamples")
        let n = values.count
        let mean = values.reduce(0, +) / Double(n)
        if n == 1 { return MonteCarloEstimate(mean: mean, standardError: .nan, count: 1) }
        var stream = RandomStream(seed: seed, purpose: "analysis.bootstrap", index: index)
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var total = 0.0
            for _ in 0..<n { total += values[min(n - 1, Int(stream.nextUniform() * Double(n)))] }
            means[b] = total / Double(n)
        }
        let centre = means.reduce(0, +) / Double(resamples)
        let squares = means.reduce(0) { $0 + ($1 - centre) * ($1 - centre) }
        return MonteCarloEstimate(mean: mean, standardError: (squares / Double(resamples - 1)).squareRoot(), count: n)
    }
}
