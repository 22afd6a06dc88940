import Environments

/// Which (t, r) pairs a run visits and how its curriculum moves (METHODS.md §2), as a setting.
public enum PairSchedule: Equatable, Sendable {
    /// CM (Song et al. 2023): uniform interval of a Karras grid with N(k) points (s0, s1), or a fixed N
    /// (consistency distillation, N = 18); EMA rate μ(k) = exp(s0 · ln μ0 / denominator) from μ0, the
    /// denominator N(k) − 1 as in the public code (default) or N(k) as in the paper.
    case consistencyModels(initialScale: Int = 2, finalScale: Int = 150, fixedPointCount: Int? = nil, initialEMARate: Double = 0.9,
                           emaRateDenominator: ConsistencyModelPairSampler.EMARateDenominator = .gridPointsMinusOne)
    /// iCT (Song & Dhariwal 2023): log-normal interval choice (P_mean, P_std) and the doubling
    /// curriculum (s0, s1).
    case improvedConsistency(initialScale: Int = 10, finalScale: Int = 1280, logMean: Double = -1.1, logStandardDeviation: Double = 2.0)
    /// ECT / SCT (Geng et al. 2024; Wang et al. 2024): log-normal t (P_mean, P_std) and the mapping r(t)
    /// with stepwise (ECT) or continuous (SCT) stages, q = 2 (256 for ECT's fast recipe),
    /// d = total / `stageCount` (8 in the papers).
    case consistencyTuning(progression: ConsistencyTuningPairSampler.StageProgression, shrinkBase: Double = 2,
                           logMean: Double = -1.1, logStandardDeviation: Double = 2.0, stageCount: Double = 8)

    /// The sampler for a run of `totalIterations` iterations on [t_min, t_max].
    public func makeSampler(totalIterations: Int, minimumTime: Double, maximumTime: Double) throws -> any TimePairSampler {
        switch self {
        case let .consistencyModels(s0, s1, fixed, mu0, denominator):
            return try ConsistencyModelPairSampler(minimumTime: minimumTime, maximumTime: maximumTime, initialScale: s0, finalScale: s1,
                                                   totalIterations: totalIterations, initialEMARate: mu0,
                                                   emaRateDenominator: denominator, fixedPointCount: fixed)
        case let .improvedConsistency(s0, s1, mean, std):
            return try ImprovedConsistencyPairSampler(minimumTime: minimumTime, maximumTime: maximumTime, initialScale: s0,
                                                      finalScale: s1, totalIterations: totalIterations,
                                                      logMean: mean, logStandardDeviation: std)
        case let .consistencyTuning(progression, q, mean, std, stages):
            guard stages.isFinite, stages > 0 else {
                throw AgentError.invalidSetting("ECT/SCT stage count = \(stages)", expected: "a finite number of stages > 0 (8 in the papers)")
            }
            return try ConsistencyTuningPairSampler(minimumTime: minimumTime, maximumTime: maximumTime, logMean: mean,
                                                    logStandardDeviation: std,
                                                    iterationsPerStage: Double(totalIterations) / stages, stageProgression: progression,
                                                    mapping: ConsistencyTuningMapping(shrinkBase: q))
        }
    }
}

/// The target network θ⁻ of the bootstrap value (METHODS.md §4).
public enum TargetNetwork: Equatable, Sendable {
    /// θ⁻ = stop-gradient θ (iCT, ECT, SCT).
    case stopGradient
    /// θ⁻ ← μ θ⁻ + (1 − μ) θ after every update, with a constant μ (CD: 0.95).
    case ema(rate: Double)
    /// θ⁻ with the CM curriculum's rate μ(k) (CT); needs the CM pair schedule.
    case emaCurriculum
}

/// The optimizer of a run.
public enum OptimizerKind: String, Equatable, Sendable, CaseIterable {
    case adam
    case radam
}
