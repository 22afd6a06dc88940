import Environments

/// A per-state quantity attached to episodes as `values/<name>`: called once per time τ_k with the
/// batch of points x_{τ_k} (count × D, row-major, Double) and returning count × D values — for
/// example the exact consistency function f*(x, τ_k) (``exact(_:)``) or a trained network's
/// estimate (a closure from `Agents`, so `Replay` never imports it).
public struct StateValueFunction {
    /// points (count × D) at one time → count × D values.
    public let evaluate: (_ points: [Double], _ time: Double) throws -> [Double]

    /// Wraps a closure (points, time) → values.
    public init(_ evaluate: @escaping (_ points: [Double], _ time: Double) throws -> [Double]) {
        self.evaluate = evaluate
    }

    /// f*(x, t) of a closed-form distribution (``ExactValue/consistency(_:time:)``): the PF-ODE
    /// solution at t_min from (x, t), Dormand–Prince at tolerance ≤ 1e−9 (METHODS.md §0).
    public static func exact<Distribution>(_ exact: ExactValue<Distribution>) -> StateValueFunction {
        StateValueFunction { points, time in try exact.consistency(points, time: time) }
    }
}

/// One step of a batch of episodes, as a target function sees it: states x_t at t, next states
/// x_r at r < t (the policy's actions), rewards x_r − x_t (all count × D, Double) and the flags.
public struct TransitionBatch {
    /// Episodes in the batch.
    public let count: Int
    /// D.
    public let dimension: Int
    /// k: the step goes from τ_k to τ_{k+1}.
    public let step: Int
    /// τ_k.
    public let time: Double
    /// τ_{k+1}.
    public let nextTime: Double
    /// x_{τ_k}, count × D.
    public let states: [Double]
    /// x_{τ_{k+1}}, the MDP's next states (count × D): the actions, except that an episode cut on this
    /// step by the non-finite guard holds its x_{τ_k} (its action is not finite and not a state).
    public let nextStates: [Double]
    /// x_{τ_{k+1}} − x_{τ_k} (zero for episodes that already ended), count × D.
    public let rewards: [Double]
    /// Episodes that reached t_min on this step.
    public let terminated: [Bool]
    /// Episodes cut on this step (step budget or non-finite point).
    public let truncated: [Bool]
}

/// A per-transition TD target attached to episodes as `targets/<name>`: called once per step with
/// the whole batch and returning count × D targets — for example TD(0), y = R + f_θ⁻(x_r, r)
/// = f_θ⁻(x_r, r) + x_r − x_t … as the caller defines it (a closure from `Agents`).
public struct TransitionTargetFunction {
    /// One step of a batch → count × D targets.
    public let evaluate: (_ batch: TransitionBatch) throws -> [Double]

    /// Wraps a closure batch → targets.
    public init(_ evaluate: @escaping (_ batch: TransitionBatch) throws -> [Double]) {
        self.evaluate = evaluate
    }
}
