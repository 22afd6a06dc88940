import Agents
import Analysis
import Environments

extension ExperimentConfiguration {
    /// The sample evaluation that `evaluation:` asks for (``TrainingSampleEvaluation``): the
    /// configured samplers (1- and 2-step consistency sampling through `middle_time`, or Heun with
    /// `sample_steps` grid points for a diffusion model), metrics, sample count and guidance scale, with
    /// the run's seed and t_max. nil when `evaluation.metrics` is empty (evaluation off). Draws the
    /// held-out data — fresh draws of a generative environment, the other side of an empirical dataset's
    /// split (``DistributionSpec/heldOutData``) — so call it once per run. An empirical dataset used whole
    /// has no held-out part; its samples are then compared with training points
    /// (``heldOutEvaluationWarning``).
    public func trainingEvaluation() throws -> TrainingSampleEvaluation? {
        guard !evaluation.metrics.isEmpty else { return nil }
        let metrics = try evaluation.metrics.map { name in
            guard let metric = TrainingSampleEvaluation.Metric(rawValue: name) else {
                throw ConfigurationError.unknownName(key: "evaluation.metrics", name: name, valid: EvaluationSettings.metricNames)
            }
            return metric
        }
        let samplers: [TrainingSampleEvaluation.Sampler] = method == .diffusion
            ? evaluation.sampleSteps.map { .heun(points: $0) }
            : evaluation.sampleSteps.map { .consistency(steps: $0, middleTime: evaluation.middleTime) }
        let distribution: any DataDistribution, heldOut: any DataDistribution
        do {
            distribution = try environment.makeDistribution()
            heldOut = try environment.makeHeldOutDistribution()
        } catch {
            throw ConfigurationError.invalidCombination("environment: \(error)")
        }
        do {
            return try TrainingSampleEvaluation(
                distribution: distribution, heldOut: heldOut, sampleCount: evaluation.samples, samplers: samplers, metrics: metrics,
                guidanceScale: evaluation.guidanceScale, maximumTime: training.maximumTime,
                minimumTime: training.minimumTime, seed: seed)
        } catch {
            throw ConfigurationError.invalidCombination("evaluation: \(error)")
        }
    }

    /// Why this run's evaluation has no held-out data, when it evaluates and has none (an empirical dataset
    /// used whole); nil otherwise.
    public var heldOutEvaluationWarning: String? {
        guard !evaluation.metrics.isEmpty, case let .unavailable(reason) = environment.heldOutData else { return nil }
        return "evaluation: \(reason)"
    }
}
