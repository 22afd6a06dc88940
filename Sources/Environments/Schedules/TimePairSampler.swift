import Tensors

/// A training pair of noise levels (t, r) with r < t: the model at t is trained towards a target
/// built at the smaller time r (METHODS.md §2). r = 0 means the target is x₀ itself.
public struct TimePair: Equatable, Sendable {
    /// The larger time t, where the online network f_θ(x_t, t) is evaluated.
    public var time: Double
    /// The smaller time r < t, where the target x̂_r (and the bootstrap value) lives.
    public var targetTime: Double

    public init(time: Double, targetTime: Double) {
        self.time = time
        self.targetTime = targetTime
    }
}

/// Why a pair sampler's settings were rejected: the parameter, its value and what is expected.
public struct PairSamplerConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let sampler: String
    public let parameter: String
    public let value: String
    public let expected: String

    public init(sampler: String, parameter: String, value: String, expected: String) {
        self.sampler = sampler
        self.parameter = parameter
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "\(sampler): \(parameter) = \(value) is invalid; expected \(expected)"
    }
}

/// Draws (t, r) pairs for a training iteration — the CM, iCT, ECT and SCT schedules (METHODS.md §2).
///
/// A sampler is a value: its settings plus the training iteration determine the curriculum
/// (grid size N, EMA rate μ, stage …), and all randomness comes from the stream passed in, so a
/// resumed run reproduces an uninterrupted one.
public protocol TimePairSampler: Sendable {
    /// Draws `count` pairs (t, r), r < t, for training iteration `iteration` (0-based).
    func samplePairs(count: Int, iteration: Int, stream: inout RandomStream) -> [TimePair]

    /// The curriculum at `iteration` as named numbers, for checkpoints (the `/curriculum` attributes,
    /// DESIGN.md §5) and logs (`curriculum/<name>` metrics), e.g. `["N": 11, "mu": 0.9]`. Informational:
    /// a resumed run recomputes them from the iteration.
    func curriculumState(iteration: Int) -> [String: Double]
    /// The step rule of a TD path beyond the pair (METHODS.md §4): the time that follows τ on this
    /// iteration's schedule — the next grid point below τ for grid samplers (CM, iCT), the mapping
    /// r(τ) for ECT/SCT. Returns t_min (or 0) at the end of the schedule.
    func nextTime(after time: Double, iteration: Int) -> Double
}

extension TimeGrid {
    /// The largest grid point strictly below τ (relative tolerance 1e−12), or the grid minimum.
    public func point(below time: Double) -> Double {
        var best = minimum
        for t in ascending where t < time * (1 - 1e-12) { best = t }
        return best
    }
}

/// The checks shared by the samplers on a Karras grid with a curriculum (CM, iCT): a valid time range,
/// ρ > 0, s0 ≥ `smallestInitialScale`, s1 ≥ s0 and K ≥ 1 — each failure naming the parameter.
func validateCurriculumGrid(
    sampler name: String, minimumTime: Double, maximumTime: Double, gridExponent: Double,
    initialScale: Int, smallestInitialScale: Int, initialScaleHint: String, finalScale: Int, totalIterations: Int
) throws {
    try TimeGrid.validateRange(count: 2, minimum: minimumTime, maximum: maximumTime)
    guard gridExponent.isFinite, gridExponent > 0 else {
        throw PairSamplerConfigurationError(sampler: name, parameter: "ρ", value: "\(gridExponent)", expected: "a finite ρ > 0 (default 7)")
    }
    guard initialScale >= smallestInitialScale else {
        throw PairSamplerConfigurationError(sampler: name, parameter: "s0", value: "\(initialScale)",
                                            expected: "s0 ≥ \(smallestInitialScale) (\(initialScaleHint))")
    }
    guard finalScale >= initialScale else {
        throw PairSamplerConfigurationError(sampler: name, parameter: "s1", value: "\(finalScale)", expected: "s1 ≥ s0 = \(initialScale)")
    }
    guard totalIterations >= 1 else {
        throw PairSamplerConfigurationError(sampler: name, parameter: "K (total iterations)", value: "\(totalIterations)", expected: "K ≥ 1")
    }
}
