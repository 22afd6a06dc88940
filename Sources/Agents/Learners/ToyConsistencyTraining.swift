import Environments

/// A small consistency model trained end to end for experiments on toy data (the tuned toy settings of
/// `Experiments/RingOfEight`): an EDM diffusion model is pretrained first (Karras et al. 2022), then
/// Easy Consistency Tuning (ECT; Geng et al. 2024, "Consistency Models Made Easy", METHODS.md §6)
/// tunes a consistency function f_θ from it with the ECT preset, a uniform pair weight, a cosine
/// learning-rate decay to 5 % and learning rate 10⁻³ (diffusion: 2·10⁻³, batch 512).
///
/// `Experiments/StepSizeBiasVariance` uses the result as the bootstrap f_θ⁻ of TD targets and the
/// diffusion network as a network teacher; `Experiments/ExportTrajectories` rolls out f_θ's multistep
/// sampler. The run is a function of the settings (seed included) and the data.
public struct ToyConsistencyTraining: Sendable {
    /// Diffusion pretraining iterations.
    public var diffusionSteps: Int
    /// ECT iterations.
    public var consistencySteps: Int
    /// Width and depth of both MLPs.
    public var width: Int
    public var depth: Int
    /// Minibatch size of both stages.
    public var batchSize: Int = 512
    /// t_max of the consistency model.
    public var maximumTime: Double
    public var seed: UInt64

    public init(diffusionSteps: Int, consistencySteps: Int, width: Int = 128, depth: Int = 3, maximumTime: Double = 20, seed: UInt64 = 0) {
        self.diffusionSteps = diffusionSteps
        self.consistencySteps = consistencySteps
        self.width = width
        self.depth = depth
        self.maximumTime = maximumTime
        self.seed = seed
    }

    /// The trained networks: the diffusion model's averaged EDM denoiser D(x, t) and ECT's consistency
    /// function f_θ(x, t) (its evaluation average).
    public struct Result {
        public let diffusion: PreconditionedNetwork
        public let consistency: PreconditionedNetwork
        /// t_max of ``consistency``.
        public let maximumTime: Double
    }

    /// Trains both stages on `distribution`; `progress(stage, completed, total)` is called every
    /// `reportEvery` iterations of each stage ("diffusion" then "ect"). Like ExperimentKit's `Trainer`,
    /// it stops with ``AgentError/trainingStopped(_:)`` when ``NonFinitePolicy/default``'s limit of
    /// steps in a row were skipped as non-finite (a diverged stage instead of a silently stale model).
    public func train(on distribution: any DataDistribution, reportEvery: Int = 500,
                      progress: ((String, Int, Int) -> Void)? = nil) throws -> Result {
        guard diffusionSteps >= 1, consistencySteps >= 1 else {
            throw AgentError.invalidSetting("toy training steps (diffusion \(diffusionSteps), ECT \(consistencySteps))", expected: "≥ 1 each")
        }
        let dimension = distribution.dimension
        var consecutiveSkips = 0
        func countSkip(_ report: TrainingStepReport, stage: String, iteration k: Int) throws {
            consecutiveSkips = report.skipped ? consecutiveSkips + 1 : 0
            guard case let .skipAndCount(limit) = NonFinitePolicy.default, consecutiveSkips >= limit else { return }
            throw AgentError.trainingStopped("toy \(stage) training stopped at iteration \(k + 1): \(consecutiveSkips) steps in a row "
                                             + "had a non-finite loss or gradient and were skipped; lower the learning rate or check the data for NaN/∞")
        }
        var diffusionConfiguration = DiffusionPretrainingConfiguration(steps: diffusionSteps, dimension: dimension, width: width, depth: depth)
        diffusionConfiguration.batchSize = batchSize
        diffusionConfiguration.learningRate = 2e-3
        diffusionConfiguration.learningRateDecay = .cosine(finalFraction: 0.05)
        diffusionConfiguration.seed = seed
        let pretrainer = try DiffusionPretrainer(configuration: diffusionConfiguration, distribution: distribution)
        for k in 0..<diffusionSteps {
            try countSkip(try pretrainer.trainStep(), stage: "diffusion", iteration: k)
            if reportEvery > 0, (k + 1) % reportEvery == 0 || k + 1 == diffusionSteps { progress?("diffusion", k + 1, diffusionSteps) }
        }
        let teacher = try pretrainer.averagedNetwork()
        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: consistencySteps, dimension: dimension)
        configuration.network.width = width
        configuration.network.depth = depth
        configuration.batchSize = batchSize
        configuration.learningRate = 1e-3
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.maximumTime = maximumTime
        configuration.weighting = .uniform
        configuration.seed = seed
        let learner = try ConsistencyLearner(configuration: configuration, distribution: distribution, initial: teacher, teacher: teacher)
        consecutiveSkips = 0
        for k in 0..<consistencySteps {
            try countSkip(try learner.trainStep(), stage: "ect", iteration: k)
            if reportEvery > 0, (k + 1) % reportEvery == 0 || k + 1 == consistencySteps { progress?("ect", k + 1, consistencySteps) }
        }
        let model = configuration.evaluationAverageRate != nil ? try learner.averagedNetwork() : learner.online
        return Result(diffusion: teacher, consistency: model, maximumTime: maximumTime)
    }
}
