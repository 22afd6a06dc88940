import Environments
import Replay
import Tensors
import VarianceReduction

/// One iteration's TD regression problem before any network pass: the states x_t (B×D) the online
/// network is evaluated at, their times t and first target times r (for the weighting), the states
/// and times the bootstrap network must value, and how bootstrap values become returns G.
struct TrainingPairs {
    var states: [Double]
    var times: [Double]
    var targetTimes: [Double]
    var bootstrapPoints: [Double]
    var bootstrapTimes: [Double]
    /// x₀ of fresh pairs (sLCT's small-noise diffusion loss); nil for replayed pairs.
    var cleanData: [Double]?
    /// The network's class labels of the B rows (after label dropout) when the model is class-conditional:
    /// the data's labels for fresh pairs, the episodes' labels for replayed ones.
    var labels: [Int32]? = nil
    /// Bootstrap values (rows × D, in request order) → returns G (B×D).
    var assemble: ([Double]) throws -> [Double]
}

extension ConsistencyLearner {
    /// The pairs of iteration `k` from the configured ``PairSource``.
    func preparePairs(iteration k: Int) throws -> TrainingPairs {
        switch configuration.pairSource {
        case .fresh: return try freshPairs(iteration: k)
        case let .replay(sampling): return try replayedPairs(iteration: k, sampling: sampling)
        }
    }

    /// x₀ ~ data, z ~ N(0, I) (optionally OT-coupled), (t, r) from the schedule, x_t = x₀ + t z, then the
    /// estimator's rollout along the time paths and the configured TD return.
    func freshPairs(iteration k: Int) throws -> TrainingPairs {
        let b = configuration.batchSize, d = distribution.dimension
        var draws = TrainingDraws(distribution: distribution, count: b, sampler: sampler, iteration: k, seed: configuration.seed)
        if configuration.couplesNoiseByOptimalTransport {
            let assignment = try OptimalTransportCoupling.assignment(sources: draws.noise, targets: draws.data, dimension: d)
            var coupled = draws.noise
            for (row, source) in assignment.enumerated() {
                for j in 0..<d { coupled[row * d + j] = draws.noise[source * d + j] }
            }
            draws.noise = coupled
        }
        let times = draws.pairs.map(\.time), targetTimes = draws.pairs.map(\.targetTime)
        var noisy = draws.data
        for row in 0..<b { for j in 0..<d { noisy[row * d + j] += times[row] * draws.noise[row * d + j] } }
        let target = configuration.target
        let paths = try TimePaths(pairs: draws.pairs, horizon: target.horizon, minimumTime: configuration.minimumTime,
                                  forceTerminal: !target.bootstraps) { [sampler] in sampler.nextTime(after: $0, iteration: k) }
        let conditioning = rowConditioning(draws.labels, iteration: k)
        let estimator = try makeEstimator(draws, iteration: k, conditioning: conditioning)
        let states = try TDTargetKernels.rollout(from: noisy, paths: paths, steps: target.horizon, estimator: estimator)
        let request = TDTargetKernels.bootstrapRequest(target, states: states, paths: paths)
        return TrainingPairs(states: noisy, times: times, targetTimes: targetTimes, bootstrapPoints: request.points,
                             bootstrapTimes: request.times, cleanData: draws.data, labels: conditioning.networkLabels) { values in
            try TDTargetKernels.assemble(target, values: values, states: states, paths: paths)
        }
    }

    /// B windows of the replay buffer from the stream (seed, "replay", k): state x_{t_k}, bootstrap state
    /// x_{t_{k+n}}; G = f_θ⁻(x_{t_{k+n}}, t_{k+n}), or x_{t_{k+n}} itself when the window ends on the
    /// episode's terminal step (f(x, t_min) = x). Every row requests a bootstrap value (terminal rows'
    /// values are discarded) so row i of the bootstrap block shares row i's dropout mask. A class-conditional
    /// model is conditioned on each window's episode label (with the configured label dropout).
    func replayedPairs(iteration k: Int, sampling: PairSource.ReplaySampling) throws -> TrainingPairs {
        guard let buffer = replayBuffer, buffer.count > 0 else {
            throw AgentError.incompatible("replayed pairs need a non-empty replay buffer: pass `replay:` (fill it with ReplayBuffer.fill or load a trajectory dataset)")
        }
        let b = configuration.batchSize, d = distribution.dimension
        guard buffer.dimension == d else {
            throw AgentError.shapeMismatch("the replay buffer holds episodes of D = \(buffer.dimension) but the data have dimension \(d)")
        }
        var stream = RandomStream(seed: configuration.seed, purpose: "replay", index: UInt64(k))
        var states = [Double](), times = [Double](), targetTimes = [Double](), points = [Double](), bootstrapTimes = [Double]()
        var terminal = [Bool](), episodeLabels = [Int32?]()
        states.reserveCapacity(b * d); points.reserveCapacity(b * d)
        func add(state: ArraySlice<Float>, time: Double, nextTime: Double, bootstrap: ArraySlice<Float>, bootstrapTime: Double, terminates: Bool,
                 label: Int32?) {
            states.append(contentsOf: state.map(Double.init))
            points.append(contentsOf: bootstrap.map(Double.init))
            times.append(time); targetTimes.append(nextTime); bootstrapTimes.append(bootstrapTime); terminal.append(terminates)
            episodeLabels.append(label)
        }
        switch sampling {
        case .uniform:
            let length = try configuration.pairSource.windowLength(configuration.target)
            for window in try buffer.sampleWindows(count: b, length: length, stream: &stream) {
                add(state: window.state, time: window.time, nextTime: window.transition(0).nextTime, bootstrap: window.bootstrapState,
                    bootstrapTime: window.bootstrapTime, terminates: window.terminates, label: window.episode.label)
            }
        case .timeStratified:
            for transition in try buffer.sampleTimeStratified(count: b, stream: &stream) {
                add(state: transition.state, time: transition.time, nextTime: transition.nextTime, bootstrap: transition.nextState,
                    bootstrapTime: transition.nextTime, terminates: transition.terminated, label: transition.episode.label)
            }
        }
        var conditioning = RowConditioning.none
        if online.classCount > 0 {
            let labels = try episodeLabels.map { label in
                guard let label, label >= 0, label < online.classCount else {
                    throw AgentError.incompatible(Self.replayLabelProblem(label, classCount: online.classCount))
                }
                return label
            }
            conditioning = rowConditioning(labels, iteration: k)
        }
        let minimumTime = configuration.minimumTime
        return TrainingPairs(states: states, times: times, targetTimes: targetTimes, bootstrapPoints: points,
                             bootstrapTimes: bootstrapTimes, cleanData: nil, labels: conditioning.networkLabels) { values in
            var returns = values
            for row in 0..<b where terminal[row] || bootstrapTimes[row] <= minimumTime {
                for j in 0..<d { returns[row * d + j] = points[row * d + j] }
            }
            return returns
        }
    }

    /// Why an episode's label cannot condition a model of `classCount` classes.
    static func replayLabelProblem(_ label: Int32?, classCount: Int) -> String {
        if let label {
            return "a replayed episode has class label \(label), outside 0…\(classCount - 1) of the class-conditional model"
        }
        return "the class-conditional model (\(classCount) classes) needs a class label on every replayed episode, but one has none: record labels when rolling out (Episode.label) or train an unconditional model"
    }
}
