/// A Monte Carlo mean with its standard error: mean = (1/n) Σ v_i,
/// standardError = √(Σ (v_i − mean)² / (n − 1)) / √n (0 when n = 1).
public struct MonteCarloEstimate: Equatable, Sendable, CustomStringConvertible {
    /// The sample mean.
    public let mean: Double
    /// The standard error of the mean (sample standard deviation with ddof = 1, over √n).
    public let standardError: Double
    /// n, the number of values averaged.
    public let count: Int

    public init(mean: Double, standardError: Double, count: Int) {
        self.mean = mean
        self.standardError = standardError
        self.count = count
    }

    /// The estimate of a non-empty list of values (two-pass, so large means do not cancel the variance):
    /// the mean and standard error of the formula above. Experiments use it for mean ± standard error
    /// over seeds (one value per seed).
    public init(values: [Double]) {
        precondition(!values.isEmpty, "a Monte Carlo estimate needs at least one value")
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        var squares = 0.0
        for value in values { squares += (value - mean) * (value - mean) }
        let standardError = values.count > 1 ? (squares / (n - 1)).squareRoot() / n.squareRoot() : 0
        self.init(mean: mean, standardError: standardError, count: values.count)
    }

    public var description: String { "\(mean) ± \(standardError) (n = \(count))" }
}
