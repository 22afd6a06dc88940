import Tensors

/// What a training step does when its loss or gradient is not finite (METHODS.md §5, DESIGN.md §7).
public enum NonFinitePolicy: Equatable, Sendable {
    /// The toolkit default: the update is skipped and counted (`train/skipped_steps`), and the run stops
    /// (keeping its last good checkpoint) after `maximumConsecutive` bad steps in a row. A learner only
    /// skips and counts; the loop that drives it stops: ExperimentKit's `Trainer` (its
    /// `maximumConsecutiveSkippedSteps`, set from this limit by a configuration), ``ToyConsistencyTraining``,
    /// or a custom loop with ``NonFiniteStepCounter``.
    case skipAndCount(maximumConsecutive: Int)
    /// Every non-finite gradient entry (NaN, ±∞) is set to 0 and the update is applied, the behaviour
    /// of ECT (Geng et al. 2024), whose EDM-derived training loop zeroes NaN gradients. (That loop maps
    /// ±∞ to ±1e5; this policy zeroes them too, so one overflowing entry cannot dominate the step.)
    /// The toolkit's learners record the count of each step under ``zeroedEntriesMetric``.
    case zeroNonFinite

    /// The metric under which the toolkit's learners record, at every step of a `.zeroNonFinite`
    /// run, how many gradient entries that step zeroed (entries of dL/d(output) and of the
    /// parameter gradients together): a repaired step is visible in the metrics, not silent.
    public static let zeroedEntriesMetric = "train/zeroed_gradient_entries"

    /// `.skipAndCount(maximumConsecutive: 10)`.
    public static let `default` = NonFinitePolicy.skipAndCount(maximumConsecutive: 10)

    /// Throws for `maximumConsecutive < 1`.
    public func validate() throws(LossSettingError) {
        if case let .skipAndCount(maximum) = self, maximum < 1 {
            throw .invalidValue(setting: "the maximum number of consecutive non-finite steps", value: "\(maximum)",
                                expected: "at least 1 (the run stops when that many steps in a row are skipped)")
        }
    }

    /// Checks `loss` and `gradient[0..<count]` (usually `store.gradients`) for NaN and ±∞ and applies
    /// the policy: `.skipAndCount` leaves the buffer alone and reports that the update must be
    /// skipped; `.zeroNonFinite` zeroes exactly the non-finite entries and lets the update proceed.
    /// A finite step costs one ``Kernels/allFinite(_:count:)`` pass and allocates nothing.
    public func apply(loss: Double, gradient: UnsafeMutablePointer<Float>, count: Int) -> NonFiniteCheck {
        let lossIsFinite = loss.isFinite
        if Kernels.allFinite(gradient, count: count) {
            let skips = !lossIsFinite && self != .zeroNonFinite
            return NonFiniteCheck(lossIsFinite: lossIsFinite, nonFiniteGradientEntries: 0, appliesUpdate: !skips)
        }
        var bad = 0
        switch self {
        case .skipAndCount:
            for i in 0..<count where !gradient[i].isFinite { bad += 1 }
            return NonFiniteCheck(lossIsFinite: lossIsFinite, nonFiniteGradientEntries: bad, appliesUpdate: false)
        case .zeroNonFinite:
            for i in 0..<count where !gradient[i].isFinite {
                gradient[i] = 0
                bad += 1
            }
            return NonFiniteCheck(lossIsFinite: lossIsFinite, nonFiniteGradientEntries: bad, appliesUpdate: true)
        }
    }
}

/// The outcome of ``NonFinitePolicy/apply(loss:gradient:count:)`` for one step.
public struct NonFiniteCheck: Equatable, Sendable {
    /// Whether the loss was finite.
    public let lossIsFinite: Bool
    /// How many gradient entries were NaN or ±∞ (zeroed under `.zeroNonFinite`).
    public let nonFiniteGradientEntries: Int
    /// Whether the optimizer step should be applied.
    public let appliesUpdate: Bool

    public init(lossIsFinite: Bool, nonFiniteGradientEntries: Int, appliesUpdate: Bool) {
        self.lossIsFinite = lossIsFinite
        self.nonFiniteGradientEntries = nonFiniteGradientEntries
        self.appliesUpdate = appliesUpdate
    }

    /// Whether the loss and every gradient entry were finite.
    public var isFinite: Bool { lossIsFinite && nonFiniteGradientEntries == 0 }
}
