import Tensors

/// A learning rate as a function of the step index k = 0, 1, 2, … (k = the optimizer's `stepCount`
/// before the step, i.e. the number of updates already applied). Negative k is treated as 0.
///
///     let lr = schedule.learningRate(at: optimizer.stepCount)
///     try optimizer.step(store, learningRate: lr)
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Float
}

/// `lr(k) = lr`.
public struct ConstantLearningRate: LearningRateSchedule, Equatable {
    public let learningRate: Float

    /// Throws unless `learningRate` is finite and > 0.
    public init(_ learningRate: Float) throws(TensorError) {
        try validatePeakLearningRate(learningRate, operation: "ConstantLearningRate")
        self.learningRate = learningRate
    }

    public func learningRate(at step: Int) -> Float { learningRate }
}

/// Inverse-square-root decay after a plateau of `referenceSteps` steps (EDM2's
/// `learning_rate_schedule`, used by ECT with batches as the unit):
///
///     lr(k) = lr / √max(k / k_ref, 1)  =  lr · min(1, √(k_ref / k))
///
/// so lr(k) = lr for k ≤ k_ref and lr(4·k_ref) = lr/2.
public struct InverseSquareRootDecay: LearningRateSchedule, Equatable {
    public let learningRate: Float
    public let referenceSteps: Int

    /// Throws unless `learningRate` is finite and > 0 and `referenceSteps` > 0.
    public init(learningRate: Float, referenceSteps: Int) throws(TensorError) {
        try validatePeakLearningRate(learningRate, operation: "InverseSquareRootDecay")
        guard referenceSteps > 0 else {
            throw .invalidArgument(operation: "InverseSquareRootDecay",
                                   message: "the reference step count must be > 0, got \(referenceSteps) (use ConstantLearningRate for no decay)")
        }
        self.learningRate = learningRate
        self.referenceSteps = referenceSteps
    }

    public func learningRate(at step: Int) -> Float {
        let k = Double(max(step, 0))
        let factor = 1 / max(k / Double(referenceSteps), 1).squareRoot()
        return Float(Double(learningRate) * factor)
    }
}

/// Linear warm-up over `warmupSteps` steps multiplying any base schedule (EDM2 style: the base keeps
/// its own clock, the ramp multiplies it):
///
///     lr(k) = base(k) · min(1, (k + 1) / K_w)
///
/// The first step uses base(0)/K_w (never 0, so no step is wasted), step K_w − 1 and later use the
/// base unchanged; K_w = 0 means no warm-up. ``LinearWarmup/init(peak:warmupSteps:)`` is warm-up
/// to a constant.
public struct LinearWarmup<Base: LearningRateSchedule>: LearningRateSchedule {
    public let warmupSteps: Int
    public let base: Base

    /// Throws for a negative warm-up length.
    public init(warmupSteps: Int, then base: Base) throws(TensorError) {
        guard warmupSteps >= 0 else {
            throw .invalidArgument(operation: "LinearWarmup",
                                   message: "the warm-up length must be ≥ 0 steps, got \(warmupSteps)")
        }
        self.warmupSteps = warmupSteps
        self.base = base
    }

    public func learningRate(at step: Int) -> Float {
        let k = max(step, 0)
        let rate = base.learningRate(at: k)
        guard k + 1 < warmupSteps else { return rate }
        return Float(Double(rate) * Double(k + 1) / Double(warmupSteps))
    }
}

extension LinearWarmup: Equatable where Base: Equatable {}

extension LinearWarmup where Base == ConstantLearningRate {
    /// Linear warm-up to `peak`, then constant: `lr(k) = peak · min(1, (k + 1)/K_w)`.
    /// Throws for a negative warm-up length or a peak that is not finite and > 0.
    public init(peak: Float, warmupSteps: Int) throws(TensorError) {
        try self.init(warmupSteps: warmupSteps, then: ConstantLearningRate(peak))
    }
}

extension LearningRateSchedule {
    /// This schedule behind a linear warm-up of `steps` steps (see ``LinearWarmup``).
    public func withLinearWarmup(steps: Int) throws(TensorError) -> LinearWarmup<Self> {
        try LinearWarmup(warmupSteps: steps, then: self)
    }
}

func validatePeakLearningRate(_ learningRate: Float, operation: String) throws(TensorError) {
    guard learningRate.isFinite, learningRate > 0 else {
        throw .invalidArgument(operation: operation, message: "the learning rate must be finite and > 0, got \(learningRate)")
    }
}
