import Foundation
import Tensors

/// The pair schedule of Easy Consistency Tuning (ECT; Geng, Pokle, Luo, Lin & Kolter 2024) and of
/// Stable Consistency Tuning's smoother schedule (SCT; Wang, Geng & Li 2024), METHODS.md §2.
///
/// t is log-normal, clamped to the time range:
///
///     t = clamp(exp(P_mean + P_std · ξ), t_min, t_max),   ξ ~ N(0, 1),   P_mean = −1.1, P_std = 2.0,
///
/// and r follows the mapping function of ``ConsistencyTuningMapping``,
/// r = max(0, t · (1 − q^{−(s+1)} · (1 + k · sigmoid(−b t)))), with the stage
///
/// - ECT (``StageProgression/stepwise``): s = ⌊iteration / d⌋, d = total iterations / 8;
/// - SCT (``StageProgression/continuous``): s = iteration / d, so q^{−(iteration/d + 1)} shrinks smoothly.
///   This is a reconstruction of SCT's "smoother" schedule from the paper's description, not a copy of
///   its code; the two agree whenever iteration / d is an integer.
///
/// Use ``easyConsistencyTuning(totalIterations:fastRecipe:)`` and
/// ``stableConsistencyTuning(totalIterations:)`` for the papers' defaults.
public struct ConsistencyTuningPairSampler: TimePairSampler, Equatable {
    /// How the stage s follows the iteration.
    public enum StageProgression: String, Equatable, Sendable {
        /// s = ⌊iteration / d⌋ (ECT).
        case stepwise
        /// s = iteration / d (SCT's smoother schedule, reconstruction).
        case continuous
    }

    public let minimumTime: Double
    public let maximumTime: Double
    /// P_mean of the log-normal over t.
    public let logMean: Double
    /// P_std of the log-normal over t.
    public let logStandardDeviation: Double
    /// d, iterations per stage (ECT: total iterations / 8).
    public let iterationsPerStage: Double
    public let stageProgression: StageProgression
    public let mapping: ConsistencyTuningMapping

    public init(minimumTime: Double = 0.002, maximumTime: Double = 80,
                logMean: Double = -1.1, logStandardDeviation: Double = 2.0,
                iterationsPerStage: Double, stageProgression: StageProgression = .stepwise,
                mapping: ConsistencyTuningMapping = ConsistencyTuningMapping()) throws {
        let name = "ECT/SCT pair sampler"
        try TimeGrid.validateRange(count: 2, minimum: minimumTime, maximum: maximumTime)
        guard logMean.isFinite else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "P_mean", value: "\(logMean)", expected: "a finite number (default −1.1)")
        }
        guard logStandardDeviation.isFinite, logStandardDeviation > 0 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "P_std", value: "\(logStandardDeviation)", expected: "a finite P_std > 0 (default 2.0)")
        }
        guard iterationsPerStage.isFinite, iterationsPerStage > 0 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "d (iterations per stage)", value: "\(iterationsPerStage)",
                                                expected: "a finite d > 0 (default total iterations / 8)")
        }
        guard mapping.shrinkBase.isFinite, mapping.shrinkBase > 1 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "q", value: "\(mapping.shrinkBase)", expected: "a finite q > 1 (2; 256 for the fast recipe)")
        }
        guard mapping.smallTimeGapAmplitude.isFinite, mapping.smallTimeGapAmplitude >= 0 else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "k", value: "\(mapping.smallTimeGapAmplitude)", expected: "a finite k ≥ 0 (default 8)")
        }
        guard mapping.smallTimeGapSharpness.isFinite else {
            throw PairSamplerConfigurationError(sampler: name, parameter: "b", value: "\(mapping.smallTimeGapSharpness)", expected: "a finite number (default 1)")
        }
        self.minimumTime = minimumTime
        self.maximumTime = maximumTime
        self.logMean = logMean
        self.logStandardDeviation = logStandardDeviation
        self.iterationsPerStage = iterationsPerStage
        self.stageProgression = stageProgression
        self.mapping = mapping
    }

    /// ECT's defaults: stepwise stages, d = totalIterations / 8, q = 2 (q = 256 when `fastRecipe`).
    public static func easyConsistencyTuning(totalIterations: Int, fastRecipe: Bool = false) throws -> ConsistencyTuningPairSampler {
        try ConsistencyTuningPairSampler(iterationsPerStage: Double(totalIterations) / 8, stageProgression: .stepwise,
                                         mapping: ConsistencyTuningMapping(shrinkBase: fastRecipe ? 256 : 2))
    }

    /// SCT's smoother schedule: continuous stages, d = totalIterations / 8, q = 2.
    public static func stableConsistencyTuning(totalIterations: Int) throws -> ConsistencyTuningPairSampler {
        try ConsistencyTuningPairSampler(iterationsPerStage: Double(totalIterations) / 8, stageProgression: .continuous)
    }

    /// s = ⌊iteration / d⌋ (stepwise) or iteration / d (continuous).
    public func stage(iteration: Int) -> Double {
        let fractional = Double(max(iteration, 0)) / iterationsPerStage
        switch stageProgression {
        case .stepwise: return fractional.rounded(.down)
        case .continuous: return fractional
        }
    }

    /// r for a given t at `iteration` (the mapping function at the iteration's stage).
    public func targetTime(time t: Double, iteration: Int) -> Double {
        mapping.targetTime(time: t, stage: stage(iteration: iteration))
    }

    /// t = clamp(exp(P_mean + P_std ξ), t_min, t_max) (one normal each), r = mapping(t, s).
    public func samplePairs(count: Int, iteration: Int, stream: inout RandomStream) -> [TimePair] {
        let s = stage(iteration: iteration)
        var pairs: [TimePair] = []
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            let drawn = stream.nextLogNormal(mean: logMean, standardDeviation: logStandardDeviation)
            let t = min(max(drawn, minimumTime), maximumTime)
            pairs.append(TimePair(time: t, targetTime: mapping.targetTime(time: t, stage: s)))
        }
        return pairs
    }

    /// The TD path's next time after τ (see ``TimePairSampler/nextTime(after:iteration:)``).
    public func nextTime(after time: Double, iteration: Int) -> Double {
        targetTime(time: time, iteration: iteration)
    }

    /// `iteration`, `stage` (s) and `shrink_factor` (q^{−(s+1)}), the names of the checkpoint's
    /// `/curriculum` attributes (DESIGN.md §5).
    public func curriculumState(iteration: Int) -> [String: Double] {
        let s = stage(iteration: iteration)
        return ["iteration": Double(iteration), "stage": s, "shrink_factor": mapping.shrinkFactor(stage: s)]
    }
}
