/// A Monte Carlo mean with its standard error: mean = (1/n) Σ v_i,
/// standardError = √(Σ (v_i − mean)² / (n − 1)) / √n — undefined (NaN) when n = 1: one value says nothing
/// about the spread, and a "± 0" would read as an exact result (``DoubleMath/standardError(_:)`` agrees).
public struct MonteCarloEstimate: Equatable, Sendable, CustomStringConvertible {
    /// The sample mean.
    public let mean: Double
    /// The standard error of the mean (sample standard deviation with ddof = 1, over √n); NaN for one value.
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
        let standardError = values.count > 1 ? (squares / (n - 1)).squareRoot() / n.squareRoot() : .nan
        self.init(mean: mean, standardError: standardError, count: values.count)
    }

    /// Whether the estimate has a standard error: false for one value (and when NaN values make it NaN).
    public var hasStandardError: Bool { !standardError.isNaN }

    /// "± <standard error>" with `format`, or "± n/a" for a single value: how tables print the spread.
    public func formattedStandardError(_ format: (Double) -> String) -> String {
        hasStandardError ? "± \(format(standardError))" : "± n/a"
    }

    /// Same count, mean and standard error, where NaN equals NaN (a single value's undefined standard error
    /// is the same in two identical estimates).
    public static func == (lhs: MonteCarloEstimate, rhs: MonteCarloEstimate) -> Bool {
        func same(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }
        return lhs.count == rhs.count && same(lhs.mean, rhs.mean) && same(lhs.standardError, rhs.standardError)
    }

    public var description: String { "\(mean) \(formattedStandardError { "\($0)" }) (n = \(count))" }
}
