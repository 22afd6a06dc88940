/// The effective sample size of normalised importance weights (Kish 1965):
///
///     ESS = 1 / Σ_i w_i²,     Σ_i w_i = 1
///
/// 1 when one reference takes all the weight, n when the weights are uniform over n references — the
/// diagnostic of how many references a score-identity estimate really averages (METHODS.md §3.4).
public func effectiveSampleSize(_ weights: UnsafeBufferPointer<Double>) -> Double {
    var sumOfSquares = 0.0
    for w in weights { sumOfSquares += w * w }
    return sumOfSquares > 0 ? 1 / sumOfSquares : 0
}
