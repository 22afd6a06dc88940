import Foundation
import Tensors

/// Why a time grid or an MDP setting was rejected.
public struct EnvironmentError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A batch of states of the denoising MDP: points x (count × dimension, row-major) at the time
/// `times[stepIndex]` of the episode's grid, with per-episode flags.
public struct DenoisingState: Equatable {
    public var points: [Double]
    public let count: Int
    public let dimension: Int
    /// Index into the MDP's descending time grid: 0 is t_max, the last index is t_min.
    public var stepIndex: Int
    /// Episodes that reached t_min (the boundary value is exact there).
    public var terminated: [Bool]
    /// Episodes cut short by a non-finite guard or a step budget (their value is not known).
    public var truncated: [Bool]
}

/// What one step returns: the actions plus the transition's reward and flags, per episode.
///
/// For an episode the non-finite guard cuts on this step (the policy's output has a NaN or ±∞), the
/// step is not a transition: its action row is the policy's actual output, non-finite, so the cut is
/// visible; its reward is 0, `truncated` is true, and the state keeps x_t (later steps hold it). For
/// every other episode the action is the next state's point.
public struct DenoisingStep {
    /// The action, x_{t'} for every episode (count × dimension): the next state's point — except on
    /// the step the non-finite guard cuts an episode, where the row is the policy's non-finite output
    /// and the state keeps x_t; an episode that ended earlier repeats its held point.
    public let actions: [Double]
    /// The vector reward R = x_{t'} − x_t (count × dimension): the integral of the PF-ODE velocity;
    /// 0 for an episode cut on this step or ended earlier.
    public let rewards: [Double]
    /// True on the step that reaches t_min.
    public let terminated: [Bool]
    /// True where this step produced a non-finite point (not a transition: see above) or the step
    /// budget ran out (a genuine last step: its action, reward and next state are real).
    public let truncated: [Bool]
}

/// The probability-flow ODE as a Markov decision process (DESIGN.md §1, after Stable Consistency
/// Tuning): states (x_t, t) on a descending time grid t_max = τ₀ > τ₁ > … > τ_K = t_min, initial states
/// x ~ N(0, t_max² I), deterministic transitions given by a ``TransitionPolicy``, vector rewards
/// R = x_{τ_{k+1}} − x_{τ_k}, discount γ = 1; an episode terminates on reaching t_min, so the value
/// V(x_t, t) = x_{t_min} − x_t is the sum of the remaining rewards and f = x + V is the consistency
/// function. A step budget or a non-finite point truncates an episode instead (terminated and
/// truncated are different facts: STYLE.md §2).
public struct DenoisingMDP: Sendable {
    public let dimension: Int
    /// The time grid, descending: t_max first, t_min last.
    public let times: [Double]
    /// Episodes are truncated after this many steps (nil: only t_min ends an episode).
    public let stepBudget: Int?

    /// Throws unless `dimension > 0` and `times` has at least two finite, positive, strictly
    /// decreasing values.
    public init(dimension: Int, times: [Double], stepBudget: Int? = nil) throws {
        guard dimension > 0 else { throw EnvironmentError("the data dimension must be > 0, got \(dimension)") }
        guard times.count >= 2 else {
            throw EnvironmentError("a time grid needs at least 2 points (t_max and t_min), got \(times.count)")
        }
        guard times.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EnvironmentError("grid times must be finite and > 0, got \(times)")
        }
        guard zip(times, times.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw EnvironmentError("the MDP walks from t_max down to t_min: times must be strictly decreasing, got \(times)")
        }
        if let stepBudget, stepBudget < 1 { throw EnvironmentError("the step budget must be ≥ 1, got \(stepBudget)") }
        self.dimension = dimension
        self.times = times
        self.stepBudget = stepBudget
    }

    /// The MDP on a ``TimeGrid`` (walked from its maximum down to its minimum).
    public init(dimension: Int, grid: TimeGrid, stepBudget: Int? = nil) throws {
        try self.init(dimension: dimension, times: grid.descending, stepBudget: stepBudget)
    }

    public var maximumTime: Double { times[0] }
    public var minimumTime: Double { times[times.count - 1] }
    /// K, the number of transitions of a full episode.
    public var stepCount: Int { times.count - 1 }

    /// `count` initial states x = t_max · z, z ~ N(0, I) from `stream`.
    public func reset(count: Int, stream: inout RandomStream) -> DenoisingState {
        var points = [Double](repeating: 0, count: count * dimension)
        points.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
        for i in points.indices { points[i] *= maximumTime }
        return DenoisingState(points: points, count: count, dimension: dimension, stepIndex: 0,
                              terminated: Array(repeating: false, count: count), truncated: Array(repeating: false, count: count))
    }

    /// Advances every live episode of `state` from τ_k to τ_{k+1} under `policy`. Episodes already
    /// terminated or truncated keep their points and get zero reward. An episode whose policy output
    /// is not finite is truncated on this step by the non-finite guard: its state keeps x_{τ_k}, its
    /// reward is 0, and ``DenoisingStep/actions`` carries the non-finite output (see ``DenoisingStep``).
    /// A step budget that runs out truncates after a real step instead.
    ///
    /// Throws ``EnvironmentError`` unless the state is one of this MDP's: its dimension is the MDP's,
    /// `points` holds count × dimension values, `terminated` and `truncated` one flag per episode, and
    /// 0 ≤ stepIndex < K (stepIndex = K: every episode already ended).
    public func step(_ state: inout DenoisingState, policy: some TransitionPolicy) throws -> DenoisingStep {
        guard state.dimension == dimension else {
            throw EnvironmentError("the state has dimension \(state.dimension) but the MDP has \(dimension)")
        }
        guard state.count >= 0, state.points.count == state.count * dimension else {
            throw EnvironmentError("the state holds \(state.points.count) point values but \(state.count) episodes of "
                                   + "dimension \(dimension) need count × dimension = \(state.count * dimension)")
        }
        guard state.terminated.count == state.count, state.truncated.count == state.count else {
            throw EnvironmentError("the state has \(state.terminated.count) terminated and \(state.truncated.count) truncated "
                                   + "flags but \(state.count) episodes; it needs one of each per episode")
        }
        guard state.stepIndex >= 0, state.stepIndex <= stepCount else {
            throw EnvironmentError("the state's step index is \(state.stepIndex) but this MDP's grid has indices 0…\(stepCount) "
                                   + "(0 is t_max, \(stepCount) is t_min); use a state from reset")
        }
        guard state.stepIndex < stepCount else {
            throw EnvironmentError("every episode already reached t_min = \(minimumTime); call reset for new episodes")
        }
        let t = times[state.stepIndex], r = times[state.stepIndex + 1]
        var next = [Double](repeating: 0, count: state.points.count)
        try state.points.withUnsafeBufferPointer { current in
            try next.withUnsafeMutableBufferPointer { output in
                try policy.advance(current.baseAddress!, count: state.count, dimension: dimension, from: t, to: r,
                                   into: output.baseAddress!)
            }
        }
        var rewards = [Double](repeating: 0, count: next.count)
        var terminatedNow = [Bool](repeating: false, count: state.count)
        var truncatedNow = [Bool](repeating: false, count: state.count)
        let reachesEnd = state.stepIndex + 1 == stepCount
        let budgetExhausted = stepBudget.map { state.stepIndex + 1 >= $0 } ?? false
        var points = next          // the next state; differs from the actions where the guard cuts
        for episode in 0..<state.count {
            let range = (episode * dimension)..<((episode + 1) * dimension)
            if state.terminated[episode] || state.truncated[episode] {
                for i in range { next[i] = state.points[i]; points[i] = state.points[i] }
                continue
            }
            if !range.allSatisfy({ next[$0].isFinite }) {
                truncatedNow[episode] = true
                for i in range { points[i] = state.points[i] }
                continue
            }
            for i in range { rewards[i] = next[i] - state.points[i] }
            if reachesEnd { terminatedNow[episode] = true } else if budgetExhausted { truncatedNow[episode] = true }
        }
        state.points = points
        state.stepIndex += 1
        for episode in 0..<state.count {
            state.terminated[episode] = state.terminated[episode] || terminatedNow[episode]
            state.truncated[episode] = state.truncated[episode] || truncatedNow[episode]
        }
        return DenoisingStep(actions: next, rewards: rewards, terminated: terminatedNow, truncated: truncatedNow)
    }
}
