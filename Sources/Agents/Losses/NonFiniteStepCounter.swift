/// Counts the steps a ``NonFinitePolicy`` skipped or repaired and stops the run after too many bad
/// steps in a row (DESIGN.md §7), for a custom training loop that calls the policy itself. Its counts
/// are part of that loop's training state: save them with the checkpoint and restore them with
/// ``init(policy:skippedSteps:consecutiveSkippedSteps:zeroedEntries:)``. (The toolkit's learners count
/// skipped steps themselves, `train/skipped_steps`, and ExperimentKit's `Trainer` stops the run.)
public struct NonFiniteStepCounter: Equatable, Sendable {
    public let policy: NonFinitePolicy
    /// Steps skipped since the start of training.
    public private(set) var skippedSteps: Int
    /// Steps skipped since the last applied update.
    public private(set) var consecutiveSkippedSteps: Int
    /// Gradient entries zeroed since the start of training (`.zeroNonFinite` only).
    public private(set) var zeroedEntries: Int

    /// Throws for an invalid policy or negative counts.
    public init(policy: NonFinitePolicy = .default, skippedSteps: Int = 0, consecutiveSkippedSteps: Int = 0,
                zeroedEntries: Int = 0) throws(LossSettingError) {
        try policy.validate()
        guard skippedSteps >= 0, consecutiveSkippedSteps >= 0, consecutiveSkippedSteps <= skippedSteps, zeroedEntries >= 0 else {
            throw .invalidValue(setting: "the non-finite step counts (skipped, consecutive, zeroed)",
                                value: "(\(skippedSteps), \(consecutiveSkippedSteps), \(zeroedEntries))",
                                expected: "counts ≥ 0 with consecutive ≤ skipped")
        }
        self.policy = policy
        self.skippedSteps = skippedSteps
        self.consecutiveSkippedSteps = consecutiveSkippedSteps
        self.zeroedEntries = zeroedEntries
    }

    /// Records the check of training iteration `iteration`. Throws ``NonFiniteTrainingStopped`` when
    /// this skip makes `maximumConsecutive` skipped steps in a row.
    public mutating func record(_ check: NonFiniteCheck, iteration: Int) throws(NonFiniteTrainingStopped) {
        zeroedEntries += check.appliesUpdate ? check.nonFiniteGradientEntries : 0
        guard !check.appliesUpdate else {
            consecutiveSkippedSteps = 0
            return
        }
        skippedSteps += 1
        consecutiveSkippedSteps += 1
        if case let .skipAndCount(maximum) = policy, consecutiveSkippedSteps >= maximum {
            throw NonFiniteTrainingStopped(iteration: iteration, consecutiveSkippedSteps: consecutiveSkippedSteps,
                                           lossIsFinite: check.lossIsFinite, nonFiniteGradientEntries: check.nonFiniteGradientEntries)
        }
    }
}

/// The run stopped because too many consecutive steps had a non-finite loss or gradient.
public struct NonFiniteTrainingStopped: Error, Equatable, Sendable, CustomStringConvertible {
    public let iteration: Int
    public let consecutiveSkippedSteps: Int
    public let lossIsFinite: Bool
    public let nonFiniteGradientEntries: Int

    public var description: String {
        let what = lossIsFinite ? "\(nonFiniteGradientEntries) non-finite gradient entries" :
            "a non-finite loss" + (nonFiniteGradientEntries > 0 ? " and \(nonFiniteGradientEntries) non-finite gradient entries" : "")
        return "training stopped at iteration \(iteration): \(consecutiveSkippedSteps) consecutive steps were skipped "
            + "(the last had \(what)); the last good checkpoint is kept. Lower the learning rate, check the data "
            + "for NaN/∞, or raise the limit of NonFinitePolicy.skipAndCount(maximumConsecutive:)"
    }
}
