import Environments
import Tensors

/// Rolls out episodes of a ``DenoisingMDP`` under any ``TransitionPolicy`` (exact Dormand–Prince,
/// an Euler/Heun teacher, or a trained consistency model's multistep sampler from `Agents`) and
/// records them as ``Episode`` values.
///
/// Seeds: episode i (counted from the run's first episode) gets the seed
/// s_i = word pair of `RandomStream(seed: runSeed, purpose: "replay.episode-seed", index: i)`, and its
/// initial state x_{t_max} = t_max · z with z ~ N(0, I) drawn by ``DenoisingMDP/reset(count:stream:)``
/// from `RandomStream(seed: s_i, purpose: "replay.initial-state")`. An episode's start is therefore
/// reproducible from its recorded seed alone, whatever batch it was generated in; its path is too
/// under a fixed-step policy (an adaptive solver picks one step size per batch, so batching moves
/// the path within the solver's tolerance).
///
/// Recording follows ``DenoisingStep``: observation k+1 and action k are the step's actions, so a step
/// the non-finite guard cuts is stored with the policy's non-finite output there (and zero reward),
/// which makes the episode's ``Episode/length`` stop before it; later rows hold the last finite point.
/// Per-state values and targets are evaluated on the MDP's states, which stay finite: values at
/// τ_{k+1} and a ``TransitionBatch``'s next states use the held x_{τ_k} of an episode cut on step k.
public struct EpisodeRollout {
    /// The MDP whose episodes are rolled out (dimension, descending grid, step budget).
    public let environment: DenoisingMDP
    /// Named per-state quantities attached as `values/<name>` (for example "exact": f*).
    public var values: [String: StateValueFunction]
    /// Named per-transition TD targets attached as `targets/<name>`.
    public var targets: [String: TransitionTargetFunction]

    /// A rollout of `environment` attaching the named `values` at every state and `targets` at every transition.
    public init(environment: DenoisingMDP, values: [String: StateValueFunction] = [:],
                targets: [String: TransitionTargetFunction] = [:]) {
        self.environment = environment
        self.values = values
        self.targets = targets
    }

    /// The seed of episode `index` of a run seeded with `runSeed` (see the type's documentation).
    public static func episodeSeed(runSeed: UInt64, index: UInt64) -> UInt64 {
        var stream = RandomStream(seed: runSeed, purpose: "replay.episode-seed", index: index)
        return UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord())
    }

    /// The initial state x_{t_max} of the episode with `seed` (D values).
    public func initialState(seed: UInt64) -> [Double] {
        var stream = RandomStream(seed: seed, purpose: "replay.initial-state")
        return environment.reset(count: 1, stream: &stream).points
    }

    /// Episodes `first ..< first + count` of the run seeded `runSeed`, stepped together as one batch
    /// under `policy`; `labels` (count entries) are recorded as the episodes' labels when given.
    public func run(policy: some TransitionPolicy, runSeed: UInt64, first: Int = 0, count: Int,
                    labels: [Int32]? = nil) throws -> [Episode] {
        guard count >= 0, first >= 0 else { throw ReplayError("a rollout needs count ≥ 0 and first ≥ 0, got \(count), \(first)") }
        if let labels, labels.count != count {
            throw ReplayError("\(labels.count) labels given for \(count) episodes; pass one label per episode or none")
        }
        guard count > 0 else { return [] }
        let dimension = environment.dimension, steps = environment.stepCount, times = environment.times
        let seeds = (0..<count).map { Self.episodeSeed(runSeed: runSeed, index: UInt64(first + $0)) }
        var unusedStream = RandomStream(seed: runSeed, purpose: "replay.unused")
        var state = environment.reset(count: count, stream: &unusedStream)
        state.points = seeds.flatMap { initialState(seed: $0) }

        let rowObservations = (steps + 1) * dimension, rowTransitions = steps * dimension
        var observations = [[Float]](repeating: [Float](repeating: 0, count: rowObservations), count: count)
        var actions = [[Float]](repeating: [Float](repeating: 0, count: rowTransitions), count: count)
        var rewards = actions
        var terminations = [[Bool]](repeating: [Bool](repeating: false, count: steps), count: count)
        var truncations = terminations
        var valueRows = values.mapValues { _ in observations }
        var targetRows = targets.mapValues { _ in actions }

        func record(_ source: [Double], into rows: inout [[Float]], at k: Int) {
            for episode in 0..<count {
                for d in 0..<dimension { rows[episode][k * dimension + d] = Float(source[episode * dimension + d]) }
            }
        }
        func recordValues(at k: Int, points: [Double]) throws {
            for (name, function) in values {
                let result = try function.evaluate(points, times[k])
                guard result.count == count * dimension else {
                    throw ReplayError("value function '\(name)' returned \(result.count) values for \(count) points of dimension \(dimension)")
                }
                record(result, into: &valueRows[name]!, at: k)
            }
        }
        record(state.points, into: &observations, at: 0)
        try recordValues(at: 0, points: state.points)
        for k in 0..<steps {
            let before = state.points
            let step = try environment.step(&state, policy: policy)
            record(step.actions, into: &observations, at: k + 1)
            record(step.actions, into: &actions, at: k)
            record(step.rewards, into: &rewards, at: k)
            for episode in 0..<count {
                terminations[episode][k] = step.terminated[episode]
                truncations[episode][k] = step.truncated[episode]
            }
            try recordValues(at: k + 1, points: state.points)
            if !targets.isEmpty {
                let batch = TransitionBatch(count: count, dimension: dimension, step: k, time: times[k], nextTime: times[k + 1],
                                            states: before, nextStates: state.points, rewards: step.rewards,
                                            terminated: step.terminated, truncated: step.truncated)
                for (name, function) in targets {
                    let result = try function.evaluate(batch)
                    guard result.count == count * dimension else {
                        throw ReplayError("target function '\(name)' returned \(result.count) values for \(count) transitions of dimension \(dimension)")
                    }
                    record(result, into: &targetRows[name]!, at: k)
                }
            }
        }
        return try (0..<count).map { episode in
            try Episode(dimension: dimension, times: times, observations: observations[episode], actions: actions[episode],
                        rewards: rewards[episode], terminations: terminations[episode], truncations: truncations[episode],
                        seed: seeds[episode], label: labels?[episode],
                        values: valueRows.mapValues { $0[episode] }, targets: targetRows.mapValues { $0[episode] })
        }
    }
}
