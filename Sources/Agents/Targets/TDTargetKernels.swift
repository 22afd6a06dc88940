/// The TD target kernels (METHODS.md §4) as pure functions over a batch: roll a transition estimator
/// along per-row time paths, ask for bootstrap values, and assemble TD(0), n-step, TD(λ) or Monte-Carlo
/// returns, with the boundary handled exactly (at a terminal time the bootstrap value is the point).
///
/// The bootstrap step is split in two so a learner can evaluate the online network and every
/// bootstrap state in one stacked forward: ``bootstrapRequest(_:states:paths:)`` lists the states whose
/// value is needed (whole blocks of `rows`, terminal times replaced by t_min so a network is never
/// evaluated at t = 0), and ``assemble(_:values:states:paths:)`` builds the return from those values.
/// ``target(_:start:paths:estimator:bootstrap:)`` composes them.
///
/// Arrays are row-major Double, rows × D; `states[j]` is x̂_{τ_j} (`states[0]` the start).
public enum TDTargetKernels {
    /// The estimated states x̂_{τ_0} … x̂_{τ_H} of every path: x̂_{τ_{j+1}} from x̂_{τ_j} by one transition.
    public static func rollout(from start: [Double], paths: TimePaths, steps: Int,
                               estimator: some TransitionEstimating) throws -> [[Double]] {
        guard steps <= paths.horizon else {
            throw AgentError.shapeMismatch("a rollout of \(steps) steps needs paths of horizon ≥ \(steps), not \(paths.horizon)")
        }
        var states = [start]
        states.reserveCapacity(steps + 1)
        for j in 0..<steps {
            states.append(try estimator.advance(states[j], times: paths.column(j), targetTimes: paths.column(j + 1)))
        }
        return states
    }

    /// Which path steps n need a bootstrap value: [1] for TD(0), [n] for n-step, 1…H for TD(λ), none for
    /// Monte Carlo.
    public static func bootstrapSteps(_ target: TDTarget) -> [Int] {
        switch target {
        case .td0: return [1]
        case let .nStep(n): return [n]
        case let .lambda(_, h): return Array(1...h)
        case .monteCarlo: return []
        }
    }

    /// The stacked states and times whose bootstrap values ``assemble(_:values:states:paths:)`` needs:
    /// one block of `paths.rows` rows per entry of ``bootstrapSteps(_:)``; terminal times are given as
    /// t_min (their values are replaced by the point itself when assembling).
    public static func bootstrapRequest(_ target: TDTarget, states: [[Double]], paths: TimePaths)
        -> (points: [Double], times: [Double])
    {
        var points: [Double] = [], times: [Double] = []
        for n in bootstrapSteps(target) {
            points.append(contentsOf: states[n])
            for row in 0..<paths.rows { times.append(max(paths.time(row: row, step: n), paths.minimumTime)) }
        }
        return (points, times)
    }

    /// The return of every row from the bootstrap values of ``bootstrapRequest(_:states:paths:)``:
    ///
    ///     Gⁿ = x̂_{τ_n}                 if τ_n ≤ t_min (terminal: V = 0)
    ///        = f_θ⁻(x̂_{τ_n}, τ_n)       otherwise
    ///     G^λ = (1 − λ) Σ_{n=1}^{H−1} λ^{n−1} Gⁿ + λ^{H−1} G^H,     G^MC = x̂_{τ_H}
    ///
    /// Throws when `states` stops before a step the return reads, or for Monte Carlo when a path does
    /// not end at t_min (x̂ above t_min is not a Monte-Carlo return).
    public static func assemble(_ target: TDTarget, values: [Double], states: [[Double]], paths: TimePaths) throws -> [Double] {
        let rows = paths.rows
        let dimension = rows == 0 ? 0 : states[0].count / rows
        let steps = bootstrapSteps(target)
        guard values.count == steps.count * rows * dimension else {
            throw AgentError.shapeMismatch("\(values.count) bootstrap values; expected \(steps.count) blocks of \(rows) × \(dimension)")
        }
        let lastStepRead: Int
        if case .monteCarlo = target { lastStepRead = paths.horizon } else { lastStepRead = steps.max() ?? 0 }
        guard states.count > lastStepRead else {
            throw AgentError.shapeMismatch("the \(target) return reads the state after step \(lastStepRead), but the rollout "
                                           + "has \(states.count - 1) steps; roll out as many steps as the paths' horizon (\(paths.horizon))")
        }
        if case .monteCarlo = target, let row = (0..<rows).first(where: { !paths.isTerminal(row: $0, step: paths.horizon) }) {
            throw AgentError.incompatible("a Monte-Carlo return is x̂ at t_min, but row \(row)'s path ends at "
                                          + "t = \(paths.time(row: row, step: paths.horizon)) > t_min = \(paths.minimumTime); "
                                          + "build the paths with a terminal last step")
        }
        func nStepReturn(block: Int, step n: Int) -> [Double] {
            var g = Array(values[(block * rows * dimension)..<((block + 1) * rows * dimension)])
            for row in 0..<rows where paths.isTerminal(row: row, step: n) {
                for d in 0..<dimension { g[row * dimension + d] = states[n][row * dimension + d] }
            }
            return g
        }
        switch target {
        case .td0, .nStep:
            return nStepReturn(block: 0, step: steps[0])
        case let .lambda(lambda, _):
            return lambdaReturn(steps.enumerated().map { nStepReturn(block: $0.offset, step: $0.element) }, lambda: lambda)
        case .monteCarlo:
            return states[paths.horizon]
        }
    }

    /// G^λ = (1 − λ) Σ_{n=1}^{H−1} λ^{n−1} Gⁿ + λ^{H−1} G^H from the n-step returns G¹ … G^H (the weights
    /// sum to one; λ = 0 gives G¹, λ = 1 gives G^H).
    public static func lambdaReturn(_ returns: [[Double]], lambda: Double) -> [Double] {
        guard let last = returns.last else { return [] }
        let h = returns.count
        var result = [Double](repeating: 0, count: last.count)
        var weight = 1 - lambda
        for n in 0..<(h - 1) {
            for i in result.indices { result[i] += weight * returns[n][i] }
            weight *= lambda
        }
        let lastWeight = h == 1 ? 1 : Foundation.pow(lambda, Double(h - 1))
        for i in result.indices { result[i] += lastWeight * last[i] }
        return result
    }

    /// The TD target of every row: rolls `estimator` along `paths` from `start` (x_t at τ₀), evaluates
    /// `bootstrap(points, times)` (f_θ⁻ or f*) once on the stacked request and assembles the return.
    public static func target(_ target: TDTarget, start: [Double], paths: TimePaths, estimator: some TransitionEstimating,
                              bootstrap: ([Double], [Double]) throws -> [Double]) throws -> [Double] {
        try target.validate()
        let states = try rollout(from: start, paths: paths, steps: target.horizon, estimator: estimator)
        let request = bootstrapRequest(target, states: states, paths: paths)
        let values = request.times.isEmpty ? [] : try bootstrap(request.points, request.times)
        return try assemble(target, values: values, states: states, paths: paths)
    }
}

import Foundation
