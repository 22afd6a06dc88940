import Foundation

/// The mapping function r(t) of Easy Consistency Tuning (ECT; Geng, Pokle, Luo, Lin & Kolter 2024,
/// "Consistency Models Made Easy", §3, "mapping function"), METHODS.md §2:
///
///     r = max(0, t · (1 − q^{−(s+1)} · n(t))),   n(t) = 1 + k · sigmoid(−b t),
///
/// with q = 2, k = 8, b = 1 (q = 256 is ECT's fast recipe). The stage s is ⌊iteration / d⌋ for ECT and
/// the continuous iteration / d for SCT's smoother schedule (see ``ConsistencyTuningPairSampler``);
/// this type takes s as a `Double` so it serves both. As s grows, q^{−(s+1)} → 0 and r/t → 1: the pair
/// shrinks from a denoising loss (r = 0, target x₀) to a nearly infinitesimal consistency step.
public struct ConsistencyTuningMapping: Equatable, Sendable {
    /// q, the factor by which t − r shrinks per stage (2; 256 for the fast recipe).
    public let shrinkBase: Double
    /// k in n(t) = 1 + k · sigmoid(−b t): how much wider the gap is at small t.
    public let smallTimeGapAmplitude: Double
    /// b in n(t) = 1 + k · sigmoid(−b t).
    public let smallTimeGapSharpness: Double

    public init(shrinkBase: Double = 2, smallTimeGapAmplitude: Double = 8, smallTimeGapSharpness: Double = 1) {
        self.shrinkBase = shrinkBase
        self.smallTimeGapAmplitude = smallTimeGapAmplitude
        self.smallTimeGapSharpness = smallTimeGapSharpness
    }

    /// q^{−(s+1)}.
    public func shrinkFactor(stage s: Double) -> Double {
        Foundation.pow(shrinkBase, -(s + 1))
    }

    /// n(t) = 1 + k · sigmoid(−b t) = 1 + k / (1 + e^{b t}).
    public func smallTimeGapFactor(time t: Double) -> Double {
        1 + smallTimeGapAmplitude / (1 + Foundation.exp(smallTimeGapSharpness * t))
    }

    /// r = max(0, t · (1 − q^{−(s+1)} · n(t))), computed as t − t·q^{−(s+1)}·n(t). When that gap is
    /// below t's rounding unit (very late stages, or q = 256 after a few stages) r would round to t;
    /// it is then set to the largest Double below t so that r < t always holds.
    public func targetTime(time t: Double, stage s: Double) -> Double {
        let gap = t * shrinkFactor(stage: s) * smallTimeGapFactor(time: t)
        let r = max(0, t - gap)
        return r < t ? r : t.nextDown
    }
}
