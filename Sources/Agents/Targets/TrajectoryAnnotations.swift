import Environments
import Replay

/// The per-state values and per-transition TD targets attached to exported episodes (Replay's
/// ``EpisodeRollout``), shared by `consistency-td export-trajectories` and `Experiments/ExportTrajectories`.
///
/// - values: f*(x_{τ_k}, τ_k), the PF-ODE solution at t_min from every recorded state (Dormand–Prince,
///   tolerance ≤ 1e−9; METHODS.md §0) — closed-form data only.
/// - targets: for a ``TDTarget`` (TD(0), n-step, TD(λ), Monte Carlo) the return of METHODS.md §4 from
///   the recorded state x_{τ_k}, with the path following the episode's own grid τ_k > τ_{k+1} > … (held
///   at t_min once it is reached), the states x̂ along it from the **exact transition** (Dormand–Prince
///   with the closed-form denoiser, ``ExactTransition``) and the bootstrap value f_θ⁻(x̂_{τ_n}, τ_n) from
///   ``Bootstrap``: exact f* (then every target equals f*(x_{τ_k}, τ_k) up to the solver's tolerance —
///   the zero-bias reference) or a consistency function such as a trained network (then the target
///   shows that network's bootstrap error along exact paths). At a terminal time the bootstrap value is
///   the point itself (``TDTargetKernels``).
public enum TrajectoryAnnotations {
    /// The bootstrap value of the targets.
    public enum Bootstrap {
        /// f* of the closed-form data.
        case exact
        /// A consistency function f_θ⁻ (e.g. a trained ``PreconditionedNetwork``) with a label for messages.
        case function(any ConsistencyFunction, label: String)

        /// "exact f*" or the function's label.
        public var label: String {
            switch self {
            case .exact: return "exact f*"
            case let .function(_, label): return label
            }
        }
    }

    /// The value function f*(x, τ_k) of the closed-form distribution, for ``EpisodeRollout/values``.
    public static func exactValues<Distribution: ClosedFormDistribution>(_ distribution: Distribution, minimumTime: Double) throws
        -> StateValueFunction
    {
        .exact(try ExactValue(distribution: distribution, minimumTime: minimumTime))
    }

    /// The TD target `target` of every transition of a batch along the episode grid `times` (descending,
    /// ending at t_min), for ``EpisodeRollout/targets`` (see the type's documentation).
    public static func target<Distribution: ClosedFormDistribution>(
        _ target: TDTarget, distribution: Distribution, grid times: [Double], bootstrap: Bootstrap
    ) throws -> TransitionTargetFunction {
        try target.validate()
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 > $1 }), let minimumTime = times.last,
              minimumTime > 0, minimumTime.isFinite else {
            throw AgentError.invalidSetting("episode grid \(times.prefix(6))\(times.count > 6 ? "…" : "") (\(times.count) times)",
                                            expected: "at least 2 finite times, strictly descending, ending at t_min > 0")
        }
        let exact = try ExactValue(distribution: distribution, minimumTime: minimumTime)
        let estimator = ExactTransition(distribution: distribution, minimumTime: minimumTime)
        return TransitionTargetFunction { batch in
            let horizon = target.horizon
            var path = [Double](repeating: minimumTime, count: horizon + 1)
            for j in 0...horizon where batch.step + j < times.count { path[j] = times[batch.step + j] }
            if case .monteCarlo = target { path[horizon] = minimumTime }
            let paths = try TimePaths(times: Array((0..<batch.count).map { _ in path }.joined()), rows: batch.count,
                                      minimumTime: minimumTime)
            return try TDTargetKernels.target(target, start: batch.states, paths: paths, estimator: estimator) { points, pointTimes in
                try bootstrapValues(points, times: pointTimes, dimension: batch.dimension, bootstrap: bootstrap, exact: exact)
            }
        }
    }

    /// f(x_i, t_i) for rows that come in blocks of equal times: each run of equal times is one call.
    static func bootstrapValues<Distribution: ClosedFormDistribution>(
        _ points: [Double], times: [Double], dimension: Int, bootstrap: Bootstrap, exact: ExactValue<Distribution>
    ) throws -> [Double] {
        var result = [Double]()
        result.reserveCapacity(points.count)
        var start = 0
        while start < times.count {
            var end = start + 1
            while end < times.count, times[end] == times[start] { end += 1 }
            let block = Array(points[(start * dimension)..<(end * dimension)])
            switch bootstrap {
            case .exact: result += try exact.consistency(block, time: times[start])
            case let .function(function, _): result += try function.consistency(block, time: times[start])
            }
            start = end
        }
        return result
    }
}
