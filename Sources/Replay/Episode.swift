/// One episode of the denoising MDP (DESIGN.md §1, §5): a PF-ODE rollout (or a training-time
/// conditional path) on a descending grid t_max = τ₀ > τ₁ > … > τ_K = t_min.
///
/// Storage is Float32 in the compact layout's row-major shapes (one episode's rows):
/// - `observations` (K+1) × D: x at each time τ_k (the observation is the pair (x, τ_k); the times
///   live once in `times`),
/// - `actions` K × D: the policy's output x_{τ_{k+1}},
/// - `rewards` K × D: the vector reward R_k = x_{τ_{k+1}} − x_{τ_k}, so that Σ_k R_k = x_{t_min} − x_{t_max}
///   and the value V(x_{τ_k}, τ_k) = Σ_{j ≥ k} R_j (γ = 1), the consistency function f = x + V,
/// - `terminations` K: true on the step that reaches t_min; `truncations` K: true where a step budget
///   or a non-finite guard cut the episode (terminated and truncated are different facts). A step
///   budget cuts after a real step; the non-finite guard cuts *instead of* a step, and that step is
///   stored with the policy's non-finite output as its action and next observation, reward 0 (see
///   ``length``),
/// - optional `values[name]` (K+1) × D (a value estimate or f* at each state) and `targets[name]`
///   K × D (a TD target per transition).
///
/// Transitions and n-step windows (``transition(at:)``, ``window(from:length:)``) are views that
/// share this episode's arrays (copy-on-write storage is never copied by reading).
public struct Episode: Equatable, Sendable {
    /// D, the data dimension.
    public let dimension: Int
    /// The K+1 times, descending (t_max first).
    public let times: [Double]
    /// x at τ_0 … τ_K, (K+1) × D row-major.
    public internal(set) var observations: [Float]
    /// The policy's actions x_{τ_{k+1}}, K × D.
    public internal(set) var actions: [Float]
    /// R_k = x_{τ_{k+1}} − x_{τ_k}, K × D.
    public internal(set) var rewards: [Float]
    /// True on the step that reaches t_min (K entries).
    public internal(set) var terminations: [Bool]
    /// True where a step budget or a non-finite guard cut the episode (K entries).
    public internal(set) var truncations: [Bool]
    /// The seed of the episode's initial noise stream (see ``EpisodeRollout``).
    public var seed: UInt64
    /// The class label of conditional data, or nil.
    public var label: Int32?
    /// Per-state estimates by name, (K+1) × D each (for example "exact" = f*(x_{τ_k}, τ_k)).
    public internal(set) var values: [String: [Float]]
    /// Per-transition TD targets by name, K × D each.
    public internal(set) var targets: [String: [Float]]

    /// Checks every array against K = times.count − 1 and D: observations (K+1)·D, actions and
    /// rewards K·D, flags K, values (K+1)·D, targets K·D; times must be strictly decreasing.
    public init(
        dimension: Int, times: [Double], observations: [Float], actions: [Float], rewards: [Float],
        terminations: [Bool], truncations: [Bool], seed: UInt64, label: Int32? = nil,
        values: [String: [Float]] = [:], targets: [String: [Float]] = [:]
    ) throws {
        guard dimension > 0 else { throw ReplayError("an episode needs a data dimension D > 0, got \(dimension)") }
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw ReplayError("an episode's times must hold K+1 ≥ 2 strictly decreasing values (t_max … t_min), got \(times)")
        }
        let steps = times.count - 1
        func check(_ name: String, _ count: Int, _ expected: Int, _ shape: String) throws {
            guard count == expected else {
                throw ReplayError("episode \(name) has \(count) values but K = \(steps), D = \(dimension) needs \(shape) = \(expected)")
            }
        }
        try check("observations", observations.count, (steps + 1) * dimension, "(K+1)·D")
        try check("actions", actions.count, steps * dimension, "K·D")
        try check("rewards", rewards.count, steps * dimension, "K·D")
        try check("terminations", terminations.count, steps, "K")
        try check("truncations", truncations.count, steps, "K")
        for (name, array) in values { try check("values['\(name)']", array.count, (steps + 1) * dimension, "(K+1)·D") }
        for (name, array) in targets { try check("targets['\(name)']", array.count, steps * dimension, "K·D") }
        self.dimension = dimension
        self.times = times
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.terminations = terminations
        self.truncations = truncations
        self.seed = seed
        self.label = label
        self.values = values
        self.targets = targets
    }

    /// K, the number of transitions stored (the grid's interval count).
    public var stepCount: Int { times.count - 1 }

    /// The number of transitions before the episode ends: one past the first step k that terminated
    /// or truncated, or K if none did — except that a truncated step whose next observation
    /// (x at τ_{k+1}) is not finite is the non-finite guard's cut, not a transition, so the length is
    /// k (0 when the policy's first output was already non-finite: the episode has no transition).
    /// Steps from the length on (the cut step's non-finite row, then held points and zero rewards)
    /// are padding: no transition or window reaches them.
    public var length: Int {
        for k in 0..<stepCount where terminations[k] || truncations[k] {
            if truncations[k] && !observation(at: k + 1).allSatisfy(\.isFinite) { return k }
            return k + 1
        }
        return stepCount
    }

    /// x at τ_k (a view of the observations; k in 0…K).
    public func observation(at k: Int) -> ArraySlice<Float> {
        observations[(k * dimension)..<((k + 1) * dimension)]
    }

    /// The transition (x_{τ_k}, τ_k) → (x_{τ_{k+1}}, τ_{k+1}); `k` in 0..<K.
    public func transition(at k: Int) -> Transition {
        precondition(k >= 0 && k < stepCount, "transition index \(k) outside 0..<\(stepCount)")
        return Transition(episode: self, step: k)
    }

    /// The n-step window of transitions k, k+1, …, k+n−1; throws unless it lies inside the episode
    /// (k + n ≤ ``length``), so a window never crosses the episode's end.
    public func window(from k: Int, length n: Int) throws -> NStepWindow {
        guard n >= 1 else { throw ReplayError("an n-step window needs n ≥ 1, got \(n)") }
        guard k >= 0, k + n <= length else {
            throw ReplayError("the window of \(n) steps from step \(k) crosses the episode's end (length \(length) of K = \(stepCount))")
        }
        return NStepWindow(episode: self, start: k, length: n)
    }
}
