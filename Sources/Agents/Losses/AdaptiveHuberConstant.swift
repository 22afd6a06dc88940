import Environments

/// sLCT's adaptive robust-loss constant (Dao et al. 2025; METHODS.md §6): c shrinks as the
/// curriculum refines the time grid,
///
///     c_k = c_0 · N_0 / N(k),
///
/// N(k) the number of grid points at iteration k (for the iCT doubling curriculum,
/// N(k) = min(s₀·2^⌊k/K′⌋, s₁) + 1) and N_0 = N(0). This exact law is a reconstruction: the paper
/// describes c as adapted to the curriculum without a formula the toolkit could copy, so the rule —
/// c inversely proportional to the grid size, matching c_0 at the start — is the toolkit's and is
/// recorded with the run. It is meant for the Cauchy metric (``TDErrorMetric/cauchy(c:)``) and works
/// for the pseudo-Huber forms too.
public struct AdaptiveHuberConstant: Equatable, Sendable {
    /// c_0, the constant at the start of the curriculum.
    public let initialConstant: Double
    /// N_0, the grid size at which c = c_0.
    public let initialGridPointCount: Int

    /// Throws for c_0 not finite or ≤ 0, or N_0 < 2.
    public init(initialConstant c0: Double, initialGridPointCount n0: Int) throws(LossSettingError) {
        guard c0.isFinite, c0 > 0 else {
            throw .invalidValue(setting: "the initial constant c_0 of the adaptive loss constant", value: "\(c0)", expected: "a finite c_0 > 0")
        }
        guard n0 >= 2 else {
            throw .invalidValue(setting: "the initial grid size N_0 of the adaptive loss constant", value: "\(n0)",
                                expected: "N_0 ≥ 2 (the curriculum's grid size at iteration 0, s₀ + 1 for iCT)")
        }
        initialConstant = c0
        initialGridPointCount = n0
    }

    /// The adaptive constant for `sampler`'s curriculum, with N_0 = N(0) of that curriculum.
    public init(initialConstant c0: Double, curriculum sampler: ImprovedConsistencyPairSampler) throws(LossSettingError) {
        try self.init(initialConstant: c0, initialGridPointCount: sampler.gridPointCount(iteration: 0))
    }

    /// c = c_0 · N_0 / N for a grid of N points (N ≥ 1).
    public func constant(gridPointCount n: Int) -> Double {
        precondition(n >= 1, "AdaptiveHuberConstant: a grid has at least one point")
        return initialConstant * Double(initialGridPointCount) / Double(n)
    }

    /// c_k = c_0 · N_0 / N(k) with N(k) from the iCT curriculum of `sampler`.
    public func constant(iteration: Int, curriculum sampler: ImprovedConsistencyPairSampler) -> Double {
        constant(gridPointCount: sampler.gridPointCount(iteration: iteration))
    }
}
