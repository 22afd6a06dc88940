/// The effective sample size of importance weights (Kish 1965):
///
///     ESS = (Σ_i w_i)² / Σ_i w_i²     (= 1 / Σ_i w_i² when Σ_i w_i = 1)
///
/// 1 when one reference takes all the weight, n when the weights are uniform over n references — the
/// diagnostic of how many references a score-identity estimate really averages (the denoisers report
/// the same quantity per query). The weights need not be normalised. NaN when the quantity is
/// undefined: no weights, a NaN, infinite or negative weight, or all weights 0.
public func effectiveSampleSize(_ weights: UnsafeBufferPointer<Double>) -> Double {
    var total = 0.0, sumOfSquares = 0.0
    for w in weights {
        guard w.isFinite, w >= 0 else { return .nan }
        total += w
        sumOfSquares += w * w
    }
    return total > 0 ? total * total / sumOfSquares : .nan
}
