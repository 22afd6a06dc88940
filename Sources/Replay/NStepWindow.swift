/// n consecutive transitions k, …, k+n−1 of one ``Episode`` as a view (the unit of an n-step TD
/// target, Sutton & Barto §7.1; DESIGN.md §1; METHODS.md §4). With γ = 1, the value V = f − x and the
/// rewards R_j = x_{τ_{j+1}} − x_{τ_j}, the n-step return of the value and the target of the
/// consistency function f at (x_{τ_k}, τ_k) are
///
///     Vⁿ_k = Σ_{j=k}^{k+n−1} R_j + V(x_{τ_{k+n}}, τ_{k+n})
///     Gⁿ_k = x_{τ_k} + Vⁿ_k = x_{τ_k} + Σ_{j=k}^{k+n−1} R_j + V(x_{τ_{k+n}}, τ_{k+n}) = f(x_{τ_{k+n}}, τ_{k+n})
///
/// because the rewards telescope (x_{τ_k} + Σ_j R_j = x_{τ_{k+n}}). When the window ends on the
/// terminating step (τ_{k+n} = t_min) the bootstrap is exact: V(x, t_min) = 0, f(x, t_min) = x.
/// A window always lies inside the episode (k + n ≤ ``Episode/length``): it never crosses an
/// episode's end. The accessors return slices of the episode's arrays; ``rewardSum`` is the only
/// computed array (D values).
public struct NStepWindow: Sendable {
    /// The episode (shared storage, not a copy).
    public let episode: Episode
    /// k, the first transition.
    public let start: Int
    /// n, the number of transitions.
    public let length: Int

    /// One past the last transition: the bootstrap state's index k + n.
    public var end: Int { start + length }
    /// τ_k.
    public var time: Double { episode.times[start] }
    /// τ_{k+n}, the bootstrap time.
    public var bootstrapTime: Double { episode.times[end] }
    /// x_{τ_k}.
    public var state: ArraySlice<Float> { episode.observation(at: start) }
    /// x_{τ_{k+n}}, the state the n-step target bootstraps from.
    public var bootstrapState: ArraySlice<Float> { episode.observation(at: end) }
    /// The i-th transition of the window (i in 0..<n).
    public func transition(_ i: Int) -> Transition { episode.transition(at: start + i) }
    /// True when the window's last step terminated (reached t_min): the bootstrap value is exactly 0.
    public var terminates: Bool { episode.terminations[end - 1] }
    /// True when the window's last step was truncated: the bootstrap value is unknown.
    public var truncates: Bool { episode.truncations[end - 1] }

    /// Σ_{j=k}^{k+n−1} R_j, summed in Double and rounded once to Float.
    public var rewardSum: [Float] {
        let dimension = episode.dimension
        var sum = [Double](repeating: 0, count: dimension)
        episode.rewards.withUnsafeBufferPointer { rewards in
            for j in start..<end {
                for d in 0..<dimension { sum[d] += Double(rewards[j * dimension + d]) }
            }
        }
        return sum.map { Float($0) }
    }
}
