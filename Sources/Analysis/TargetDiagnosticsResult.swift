/// What the target diagnostics measured (METHODS.md §10): one ``TargetDiagnosticsPair`` per (t, r),
/// each with the query states and one ``TargetDiagnosticsEstimate`` per diagnosed target. Arrays are
/// row-major Double, M × D. Write it with ``write(to:)``, print it with ``table``.
public struct TargetDiagnosticsResult: Equatable, Sendable {
    /// D.
    public let dimension: Int
    /// M, query states per pair.
    public let queryCount: Int
    /// S, target draws per query state.
    public let sampleCount: Int
    public let seed: UInt64
    /// The bootstrap's name ("exact" for f*).
    public let bootstrap: String
    /// The diagnosed targets' names, in column order.
    public let columnNames: [String]
    public let pairs: [TargetDiagnosticsPair]

    public init(dimension: Int, queryCount: Int, sampleCount: Int, seed: UInt64, bootstrap: String, columnNames: [String],
                pairs: [TargetDiagnosticsPair]) {
        self.dimension = dimension
        self.queryCount = queryCount
        self.sampleCount = sampleCount
        self.seed = seed
        self.bootstrap = bootstrap
        self.columnNames = columnNames
        self.pairs = pairs
    }

    /// The estimate of column `name` at every pair, in pair order.
    public func estimates(named name: String) -> [TargetDiagnosticsEstimate] {
        pairs.compactMap { pair in pair.estimates.first { $0.name == name } }
    }
}

/// One pair (t, r) of the diagnostics: M query states x₀ ~ data, x_t = x₀ + t z, their exact values
/// f*(x_t, t), and the estimate of every diagnosed target.
public struct TargetDiagnosticsPair: Equatable, Sendable {
    public let time: Double
    public let targetTime: Double
    /// x₀, M × D.
    public let data: [Double]
    /// x_t, M × D.
    public let noisy: [Double]
    /// f*(x_t, t), M × D.
    public let exactValue: [Double]
    public let estimates: [TargetDiagnosticsEstimate]

    public init(time: Double, targetTime: Double, data: [Double], noisy: [Double], exactValue: [Double],
                estimates: [TargetDiagnosticsEstimate]) {
        self.time = time
        self.targetTime = targetTime
        self.data = data
        self.noisy = noisy
        self.exactValue = exactValue
        self.estimates = estimates
    }
}

/// One diagnosed target at one pair: per query state x_t,
///
///     bias(x_t) = ‖mean_S(G) − f*(x_t, t)‖₂ / √D,     variance(x_t) = (1/D) Σ_d Var_S(G_d)  (ddof = 1)
///
/// and their means over the M query states with standard errors (METHODS.md §10.4).
public struct TargetDiagnosticsEstimate: Equatable, Sendable {
    public let name: String
    /// mean_S(G) per query state, M × D.
    public let meanTarget: [Double]
    /// bias(x_t) per query state (M).
    public let bias: [Double]
    /// variance(x_t) per query state (M).
    public let variance: [Double]
    /// Mean of ``bias`` over the query states, with its standard error.
    public let biasSummary: MonteCarloEstimate
    /// Mean of ``variance`` over the query states, with its standard error.
    public let varianceSummary: MonteCarloEstimate

    public init(name: String, meanTarget: [Double], bias: [Double], variance: [Double]) {
        self.name = name
        self.meanTarget = meanTarget
        self.bias = bias
        self.variance = variance
        biasSummary = MonteCarloEstimate(values: bias)
        varianceSummary = MonteCarloEstimate(values: variance)
    }
}

/// Where a diagnostics run is: reported after each target of each pair.
public struct TargetDiagnosticsProgress: Sendable {
    /// 0-based index of the pair and the number of pairs.
    public let pairIndex: Int
    public let pairCount: Int
    /// The target just finished.
    public let column: String
    /// Targets finished so far over all pairs, and in total.
    public let completed: Int
    public let total: Int
}
