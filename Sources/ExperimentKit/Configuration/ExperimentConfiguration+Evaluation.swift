import Agents
import Analysis
import Environments

extension ExperimentConfiguration {
    /// The sample evaluation that `evaluation:` asks for (``TrainingSampleEvaluation``): the
    /// configured samplers (1- and 2-step consistency sampling through `middle_time`, or Heun with
    /// `sample_steps` grid points for a diffusion model), metrics, sample count and guidance scale, with
    /// the run's seed and t_max. nil when `evaluation.metrics` is empty (evaluation off). Draws the
    /// held-out data, so call it once per run.
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
        let distribution: any DataDistribution
        do {
            distribution = try environment.makeDistribution()
        } catch {
            throw ConfigurationError.invalidCombination("environment: \(error)")
        }
        do {
            return try TrainingSampleEvaluation(
                distribution: distribution, sampleCount: evaluation.samples, samplers: samplers, metrics: metrics,
                guidanceScale: evaluation.guidanceScale, maximumTime: training.maximumTime,
                minimumTime: training.minimumTime, seed: seed)
        } catch {
            throw ConfigurationError.invalidCombination("evaluation: \(error)")
        }
    }
}
