/// The per-sample loss weight w(t, r) of a training pair (METHODS.md §5), for weightings that depend
/// only on the two times.
public enum PairWeighting: Equatable, Sendable {
    /// w = 1 (CM, Song et al. 2023).
    case uniform
    /// w = 1 / (t_{i+1} − t_i) (iCT, Song & Dhariwal 2023). iCT pairs are adjacent grid points,
    /// (t, r) = (t_{i+1}, t_i), so this is computed as 1 / (t − r); it is kept as its own case so that
    /// presets and records name the paper's choice.
    case inverseGridStep
    /// w = 1 / (t − r) (ECT on CIFAR-10, Geng et al. 2024).
    case inverseTimeGap
    /// w = 1/t² + 1/σ_d² (ECT on ImageNet-64, Geng et al. 2024).
    case inverseSquaredTimePlusData(dataStandardDeviation: Double)
    /// w = (t² + σ_d²) / (t σ_d)² (EDM, Karras et al. 2022), for diffusion losses. r is ignored.
    case edm(dataStandardDeviation: Double)

    /// w(t, r) for a pair with r < t.
    public func weight(time t: Double, targetTime r: Double) -> Double {
        switch self {
        case .uniform:
            return 1
        case .inverseGridStep, .inverseTimeGap:
            return 1 / (t - r)
        case .inverseSquaredTimePlusData(let sigmaData):
            return 1 / (t * t) + 1 / (sigmaData * sigmaData)
        case .edm(let sigmaData):
            return (t * t + sigmaData * sigmaData) / ((t * sigmaData) * (t * sigmaData))
        }
    }

    /// w(t, r) of a pair.
    public func weight(_ pair: TimePair) -> Double { weight(time: pair.time, targetTime: pair.targetTime) }

    /// The σ_d this weighting involves (`inverseSquaredTimePlusData`, `edm`); nil for the others.
    public var dataStandardDeviation: Double? {
        switch self {
        case .uniform, .inverseGridStep, .inverseTimeGap: return nil
        case .inverseSquaredTimePlusData(let sigmaData), .edm(let sigmaData): return sigmaData
        }
    }
}
