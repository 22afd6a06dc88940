import Environments

/// A TD-error metric with a pair weighting: the batch loss every consistency method minimises
/// (METHODS.md §5, BENCHMARK.md §1),
///
///     L = (1/B) Σ_b w(t_b, r_b) · m(Δ_b),   Δ_b = f_θ(x_{t_b}, t_b) − G_b,
///     ∂L/∂f_b = (w(t_b, r_b) / B) · ∂m/∂Δ_b,
///
/// with m a ``TDErrorMetric`` and w a ``PairWeighting`` (uniform for CM; 1/(t_{i+1} − t_i) for iCT and
/// sLCT; 1/(t − r) for ECT and SCT on CIFAR-10; 1/t² + 1/σ_d² for ECT on ImageNet-64). The targets G
/// are stop-gradient, so dL/df is all a network backward needs (DESIGN.md §3).
public struct WeightedTDLoss: Equatable, Sendable {
    public let metric: TDErrorMetric
    public let weighting: PairWeighting

    /// Throws for an invalid metric constant or a non-finite or non-positive σ_d in the weighting.
    public init(metric: TDErrorMetric, weighting: PairWeighting) throws(LossSettingError) {
        try metric.validate()
        switch weighting {
        case .uniform, .inverseGridStep, .inverseTimeGap:
            break
        case let .inverseSquaredTimePlusData(sigmaData), let .edm(sigmaData):
            guard sigmaData.isFinite, sigmaData > 0 else {
                throw .invalidValue(setting: "σ_d of the pair weighting", value: "\(sigmaData)",
                                    expected: "a finite σ_d > 0 (0.5 for images in [−1, 1]; the data's standard deviation for toy data)")
            }
        }
        self.metric = metric
        self.weighting = weighting
    }

    /// L over `rows` rows of `dimension` values, writing ∂L/∂f into `gradient` (`rows × dimension`).
    /// `outputs` holds f_θ(x_t, t), `targets` G, row-major; `times` and `targetTimes` give (t_b, r_b)
    /// and must have at least `rows` entries. `gradient` may be `outputs` (it is overwritten) but must
    /// not overlap `targets`. Allocation-free; returns L (0 for an empty batch).
    public func lossAndGradient(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, dimension: Int,
        times: [Double], targetTimes: [Double], gradient: UnsafeMutablePointer<Float>
    ) -> Double {
        precondition(times.count >= rows && targetTimes.count >= rows, "WeightedTDLoss: one (t, r) pair per row is needed")
        guard rows > 0 else { return 0 }
        var total = 0.0
        let inverseBatch = 1 / Double(rows)
        for row in 0..<rows {
            let offset = row * dimension
            let f = outputs + offset, g = targets + offset, slope = gradient + offset
            for j in 0..<dimension { slope[j] = f[j] - g[j] }
            let weight = weighting.weight(time: times[row], targetTime: targetTimes[row])
            let loss = metric.lossAndGradient(UnsafePointer(slope), dimension: dimension, gradient: slope,
                                              gradientScale: Float(weight * inverseBatch))
            total += weight * loss
        }
        return total * inverseBatch
    }

    /// L in Double over row-major `outputs` and `targets` (`times.count` rows): the ground truth.
    public func loss(outputs: [Double], targets: [Double], times: [Double], targetTimes: [Double]) -> Double {
        let rows = times.count
        precondition(rows > 0 && outputs.count == targets.count && outputs.count % rows == 0 && targetTimes.count == rows,
                     "WeightedTDLoss.loss: outputs and targets must be rows × dimension with one (t, r) pair per row")
        let dimension = outputs.count / rows
        var total = 0.0
        for row in 0..<rows {
            let range = (row * dimension)..<((row + 1) * dimension)
            let delta = zip(outputs[range], targets[range]).map { f, g in f - g }
            total += weighting.weight(time: times[row], targetTime: targetTimes[row]) * metric.loss(delta)
        }
        return total / Double(rows)
    }
}
