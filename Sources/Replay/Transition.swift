/// One transition of an ``Episode`` as a view: (x_t, t) → a = x_r at r < t with the vector reward
/// R = x_r − x_t and the flags of that step. It holds the episode (whose arrays it shares) and an
/// index; the accessors return slices, so nothing is copied.
public struct Transition: Sendable {
    /// The episode this transition belongs to (shared storage, not a copy).
    public let episode: Episode
    /// k: the transition goes from τ_k to τ_{k+1}.
    public let step: Int

    /// τ_k.
    public var time: Double { episode.times[step] }
    /// τ_{k+1}.
    public var nextTime: Double { episode.times[step + 1] }
    /// x_{τ_k}.
    public var state: ArraySlice<Float> { episode.observation(at: step) }
    /// x_{τ_{k+1}}.
    public var nextState: ArraySlice<Float> { episode.observation(at: step + 1) }
    /// The policy's action, x_{τ_{k+1}} as the solver produced it.
    public var action: ArraySlice<Float> { rows(episode.actions) }
    /// R_k = x_{τ_{k+1}} − x_{τ_k}.
    public var reward: ArraySlice<Float> { rows(episode.rewards) }
    /// True when this step reached t_min.
    public var terminated: Bool { episode.terminations[step] }
    /// True when this step was cut: the last step of a step budget (a step the non-finite guard cut
    /// lies past ``Episode/length`` and is never a transition, though `transition(at:)` can view it).
    public var truncated: Bool { episode.truncations[step] }

    /// The per-transition target `name` (nil if the episode has none by that name).
    public func target(_ name: String) -> ArraySlice<Float>? { episode.targets[name].map(rows) }

    private func rows(_ array: [Float]) -> ArraySlice<Float> {
        array[(step * episode.dimension)..<((step + 1) * episode.dimension)]
    }
}
