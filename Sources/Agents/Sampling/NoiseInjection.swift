/// How much fresh noise multistep consistency sampling adds before each further step
/// (METHODS.md §8). After the model's estimate x̂₀ = f(x, τ_j), the next state is
///
///     x = x̂₀ + s_j · z_j,     z_j ~ N(0, I)
///
/// with s_j depending on the convention:
/// - ``consistencyModels`` (CM; Song et al. 2023, Algorithm 1; the toolkit default):
///   s_j = √(τ_{j+1}² − t_min²), so the total noise level of x is τ_{j+1} when x̂₀ itself carries the
///   t_min noise of the boundary condition.
/// - ``easyConsistencyTuning`` (ECT; Geng et al. 2024, their public sampler): s_j = τ_{j+1}.
///
/// The two differ by τ − √(τ² − t_min²) = t_min² / (τ + √(τ² − t_min²)) for τ = τ_{j+1}: between
/// t_min²/(2τ) and t_min²/τ (t_min itself at τ = t_min), negligible except for middle times close to t_min.
public enum NoiseInjection: String, CaseIterable, Equatable, Sendable {
    /// s_j = √(τ_{j+1}² − t_min²) (CM, the default).
    case consistencyModels = "cm"
    /// s_j = τ_{j+1} (ECT).
    case easyConsistencyTuning = "ect"

    /// s_j for a step to time `nextTime` = τ_{j+1} ≥ t_min = `minimumTime`.
    public func noiseScale(nextTime: Double, minimumTime: Double) -> Double {
        switch self {
        case .consistencyModels:
            return max(nextTime * nextTime - minimumTime * minimumTime, 0).squareRoot()
        case .easyConsistencyTuning:
            return nextTime
        }
    }
}
