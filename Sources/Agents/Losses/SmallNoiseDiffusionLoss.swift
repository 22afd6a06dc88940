/// sLCT's diffusion loss at small noise (Dao et al. 2025, "Improved Training Technique for Latent
/// Consistency Models"; METHODS.md §6): rows whose time is at or below a batch quantile of the
/// sampled times also regress the network onto the clean data,
///
///     τ = Q_q(t_1, …, t_B),   L_d = Σ_{b : t_b ≤ τ} λ · ‖f_θ(x_{t_b}, t_b) − x_{0,b}‖²,
///     ∂L_d/∂f_b = 2λ (f_b − x_{0,b}) for the selected rows, 0 for the others,
///
/// with q = ``quantile`` (default 0.3) and λ = ``weight`` (default 1). Q_q is numpy's default
/// ("linear") quantile: with the times sorted, s_0 ≤ … ≤ s_{B−1}, h = (B − 1)·q, i = ⌊h⌋, g = h − i,
///
///     Q_q = s_i + g·(s_{i+1} − s_i)       (g < ½),     Q_q = s_{i+1} − (1 − g)·(s_{i+1} − s_i)   (g ≥ ½),
///
/// (s_{i+1} read as s_i when i = B − 1), the two-sided evaluation numpy uses, so thresholds agree
/// with `numpy.quantile(t, q)` to the last bit. The loss is added to the TD loss with the batch's
/// scale (1/B for ``WeightedTDLoss``).
public struct SmallNoiseDiffusionLoss: Equatable, Sendable {
    /// q ∈ [0, 1]: the fraction of the batch's times that define "small noise".
    public let quantile: Double
    /// λ ≥ 0: the loss weight.
    public let weight: Double

    /// Throws for q outside [0, 1] or λ negative or not finite.
    public init(quantile: Double = 0.3, weight: Double = 1) throws(LossSettingError) {
        guard quantile >= 0, quantile <= 1 else {
            throw .invalidValue(setting: "the small-noise quantile q", value: "\(quantile)", expected: "q in [0, 1] (sLCT: 0.3)")
        }
        guard weight.isFinite, weight >= 0 else {
            throw .invalidValue(setting: "the small-noise diffusion loss weight λ", value: "\(weight)", expected: "a finite λ ≥ 0 (sLCT: 1)")
        }
        self.quantile = quantile
        self.weight = weight
    }

    /// τ = Q_q(times) (numpy's linear quantile; −∞ for an empty batch, which selects nothing).
    public func threshold(times: [Double]) -> Double {
        var scratch = times
        return scratch.withUnsafeMutableBufferPointer { threshold(selectingIn: $0) }
    }

    /// τ = Q_q of the values in `scratch`, which it reorders (a partial selection, no allocation).
    public func threshold(selectingIn scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        let count = scratch.count
        guard count > 0 else { return -.infinity }
        let h = Double(count - 1) * quantile
        let lowerIndex = min(Int(h.rounded(.down)), count - 1)
        let fraction = h - Double(lowerIndex)
        SmallNoiseDiffusionLoss.select(lowerIndex, in: scratch)
        let lower = scratch[lowerIndex]
        // After the selection everything right of lowerIndex is ≥ lower; the next order statistic is their minimum.
        var upper = lower
        if lowerIndex + 1 < count {
            upper = scratch[lowerIndex + 1]
            for i in (lowerIndex + 2)..<count where scratch[i] < upper { upper = scratch[i] }
        }
        let difference = upper - lower
        return fraction >= 0.5 ? upper - difference * (1 - fraction) : lower + difference * fraction
    }

    /// Adds `scale · λ‖f_b − x_{0,b}‖²` for every row with `times[b] ≤ threshold` and `scale · 2λ(f_b − x_{0,b})`
    /// to those rows of `gradient` (`rows × dimension`, row-major; other rows untouched). Returns the
    /// added loss and the number of selected rows. Allocation-free.
    public func addLossAndGradient(
        outputs: UnsafePointer<Float>, cleanData: UnsafePointer<Float>, times: [Double], threshold: Double,
        rows: Int, dimension: Int, scale: Double, gradient: UnsafeMutablePointer<Float>
    ) -> (loss: Double, selectedRows: Int) {
        precondition(times.count >= rows, "SmallNoiseDiffusionLoss: one time per row is needed")
        let slope = Float(2 * weight * scale)
        var total = 0.0, selected = 0
        for row in 0..<rows where times[row] <= threshold {
            let offset = row * dimension
            let f = outputs + offset, x0 = cleanData + offset, g = gradient + offset
            var squares: Float = 0
            for j in 0..<dimension {
                let difference = f[j] - x0[j]
                squares += difference * difference
                g[j] += slope * difference
            }
            total += Double(squares)
            selected += 1
        }
        return (weight * scale * total, selected)
    }

    /// Reorders `values` so that `values[k]` is the k-th smallest, everything before it ≤ and everything
    /// after it ≥ (Hoare's quickselect with a median-of-three pivot; deterministic).
    static func select(_ k: Int, in values: UnsafeMutableBufferPointer<Double>) {
        var low = 0, high = values.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            if values[middle] < values[low] { values.swapAt(middle, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[middle] { values.swapAt(high, middle) }
            let pivot = values[middle]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return }
        }
    }
}
