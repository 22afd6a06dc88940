/// The mean-squared-error decomposition of one diagnosed target (METHODS.md §10.4) per query state x_t,
/// with S target draws G₁ … G_S and their mean Ḡ:
///
///     bias²(x_t)    = ‖Ḡ − f*(x_t, t)‖² / D − variance(x_t) / S
///     variance(x_t) = (1/D) Σ_d Var_S(G_d)            (ddof = 1)
///     MSE(x_t)      = bias²(x_t) + variance(x_t)
///
/// The −variance/S term removes the Monte Carlo noise of Ḡ, so bias² is an unbiased estimate of
/// ‖E[G | x_t] − f*(x_t, t)‖²/D (and may be slightly negative when the true bias is 0), and MSE is
/// unbiased for E‖G − f*(x_t, t)‖²/D. Deterministic estimators have variance 0 and no correction.
public struct TargetErrorDecomposition: Equatable, Sendable {
    /// bias²(x_t) per query state (M).
    public let squaredBias: [Double]
    /// variance(x_t) per query state (M).
    public let variance: [Double]
    /// MSE(x_t) per query state (M).
    public let meanSquaredError: [Double]

    /// The decomposition of `estimate`, whose variances came from `sampleCount` draws per query state.
    public init(_ estimate: TargetDiagnosticsEstimate, sampleCount: Int) {
        precondition(sampleCount >= 2, "the decomposition needs S ≥ 2 draws per query state")
        let s = Double(sampleCount)
        variance = estimate.variance
        squaredBias = zip(estimate.bias, estimate.variance).map { $0 * $0 - $1 / s }
        meanSquaredError = zip(squaredBias, variance).map { $0 + $1 }
    }
}
