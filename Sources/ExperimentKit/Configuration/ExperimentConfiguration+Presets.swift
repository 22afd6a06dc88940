import Agents
import Environments
import NeuralNetworks

extension ExperimentConfiguration {
    /// The method preset's defaults (METHODS.md §6 for the consistency methods, §7 for diffusion) on
    /// `environment`, for `steps` iterations: exactly the settings of
    /// ``ConsistencyTrainingConfiguration/preset(_:steps:dimension:)`` (resp.
    /// ``DiffusionPretrainingConfiguration/init(steps:dimension:width:depth:)``) at the environment's
    /// dimension D, with checkpoints every 1000 iterations (3 kept), one evaluation at the end of
    /// training on 4096 samples with 1- and 2-step sampling (18 Heun grid points for diffusion) and
    /// every metric of METHODS.md §9 that applies to the environment. σ_d is 0.5 for image data and
    /// otherwise left to the learner, which measures the data's own (``defaultDataStandardDeviation(of:)``).
    public static func defaults(method: ExperimentMethod, environment: DistributionSpec = defaultEnvironment,
                                steps: Int = defaultSteps) throws -> ExperimentConfiguration {
        let distribution = try distribution(of: environment)
        let dimension = distribution.dimension, imageSigma = defaultDataStandardDeviation(of: distribution)
        let isMixture = environment.noiseRange != nil
        let metrics = isMixture ? EvaluationSettings.metricNames : Array(EvaluationSettings.metricNames.dropFirst(3))
        switch method {
        case .diffusion:
            let preset = DiffusionPretrainingConfiguration(steps: steps, dimension: dimension)
            return ExperimentConfiguration(
                experiment: environment.kind, method: method, seed: preset.seed, environment: environment,
                network: NetworkSettings(width: preset.network.width, depth: preset.network.depth,
                                         dropout: ConfigurationNames.shortestDouble(preset.network.dropout), normalization: preset.network.normalization),
                training: TrainingSettings(
                    steps: steps, batchSize: preset.batchSize, optimizer: .adam, learningRate: ConfigurationNames.shortestDouble(preset.learningRate),
                    warmupSteps: preset.warmupSteps, learningRateDecay: preset.learningRateDecay, gradientClipNorm: nil,
                    dataStandardDeviation: preset.dataStandardDeviation ?? imageSigma, minimumTime: preset.minimumTime,
                    maximumTime: NoiseRange.defaultMax, nonFinitePolicy: preset.nonFinitePolicy,
                    evaluationAverageRate: preset.evaluationAverageRate.map(ConfigurationNames.shortestDouble), checkpointEvery: 1000,
                    keepCheckpoints: 3, pretrained: nil),
                consistency: nil, pairs: nil,
                diffusion: DiffusionSettings(logMean: preset.logMean, logStandardDeviation: preset.logStandardDeviation),
                evaluation: EvaluationSettings(every: nil, samples: 4096, sampleSteps: [18], metrics: metrics))
        case let .consistency(consistencyMethod):
            let preset = try agentCall { try ConsistencyTrainingConfiguration.preset(consistencyMethod, steps: steps, dimension: dimension) }
            return ExperimentConfiguration(
                experiment: environment.kind, method: method, seed: preset.seed, environment: environment,
                network: NetworkSettings(width: preset.network.width, depth: preset.network.depth,
                                         dropout: ConfigurationNames.shortestDouble(preset.network.dropout), normalization: preset.network.normalization),
                training: TrainingSettings(
                    steps: steps, batchSize: preset.batchSize, optimizer: preset.optimizer,
                    learningRate: ConfigurationNames.shortestDouble(preset.learningRate), warmupSteps: preset.warmupSteps,
                    learningRateDecay: preset.learningRateDecay, gradientClipNorm: preset.gradientClipNorm,
                    dataStandardDeviation: preset.dataStandardDeviation ?? imageSigma, minimumTime: preset.minimumTime,
                    maximumTime: preset.maximumTime, nonFinitePolicy: preset.nonFinitePolicy,
                    evaluationAverageRate: preset.evaluationAverageRate.map(ConfigurationNames.shortestDouble), checkpointEvery: 1000,
                    keepCheckpoints: 3, pretrained: nil),
                consistency: ConsistencySettings(
                    estimator: preset.estimator, target: preset.target, targetNetwork: preset.targetNetwork,
                    sharesDropoutMask: preset.sharesDropoutMask, metric: preset.metric,
                    adaptsMetricConstant: preset.adaptsMetricConstant, weighting: preset.weighting,
                    couplesNoiseByOptimalTransport: preset.couplesNoiseByOptimalTransport,
                    smallNoiseDiffusionLoss: preset.smallNoiseDiffusionLoss),
                pairs: preset.pairs, diffusion: nil,
                evaluation: EvaluationSettings(every: nil, samples: 4096, sampleSteps: [1, 2], metrics: metrics))
        }
    }

    /// The environment's data dimension D (builds the distribution; an empirical one reads its file).
    public func dataDimension() throws -> Int { try Self.dataDimension(of: environment) }

    /// The U-Net of `network.architecture: unet` for this environment's images (nil for the MLP): the
    /// image shape C×H×W is the empirical dataset's point shape (N×C×H×W, or N×H×W for grey images).
    public func unetConfiguration() throws -> TimeConditionedUNetConfiguration? {
        guard let unet = network.unet else { return nil }
        let distribution = try environment.makeDistribution()
        let shape = (distribution as? EmpiricalDataset)?.pointShape ?? [distribution.dimension]
        let image: (channels: Int, height: Int, width: Int)
        switch shape.count {
        case 3: image = (shape[0], shape[1], shape[2])
        case 2: image = (1, shape[0], shape[1])
        default:
            throw ConfigurationError.invalidCombination("network.architecture unet needs image data: an empirical environment whose /data is N×C×H×W (or N×H×W); the \(environment.kind) environment gives points of shape \(shape)")
        }
        return TimeConditionedUNetConfiguration(
            imageChannels: image.channels, height: image.height, width: image.width, channelWidths: unet.channels,
            blocksPerLevel: unet.blocksPerLevel, groups: unet.groups, embeddingWidth: unet.embeddingWidth,
            classCount: unet.classCount, dropout: Float(network.dropout))
    }

    /// The Agents configuration of a consistency method: the preset of ``method`` with every field
    /// replaced by this configuration's. Validated (``ConsistencyTrainingConfiguration/validate()``).
    public func consistencyTrainingConfiguration() throws -> ConsistencyTrainingConfiguration {
        guard case let .consistency(consistencyMethod) = method, let consistency, let pairs else {
            throw ConfigurationError.invalidCombination("method \(method.name) is not a consistency method; use diffusionPretrainingConfiguration()")
        }
        try validate()
        var result = try Self.agentCall {
            try ConsistencyTrainingConfiguration.preset(consistencyMethod, steps: training.steps, dimension: try dataDimension())
        }
        result.seed = seed
        result.batchSize = training.batchSize
        result.network.width = network.width
        result.network.depth = network.depth
        result.network.dropout = Float(network.dropout)
        result.network.normalization = network.normalization
        if let unet = try unetConfiguration() {
            result.unet = unet
            result.labelDropout = network.unet?.labelDropout ?? 0
        }
        result.dataStandardDeviation = training.dataStandardDeviation
        result.minimumTime = training.minimumTime
        result.maximumTime = training.maximumTime
        result.pairs = pairs
        result.estimator = consistency.estimator
        result.target = consistency.target
        result.targetNetwork = consistency.targetNetwork
        result.sharesDropoutMask = consistency.sharesDropoutMask
        result.metric = consistency.metric
        result.adaptsMetricConstant = consistency.adaptsMetricConstant
        result.weighting = consistency.weighting
        result.optimizer = training.optimizer
        result.learningRate = Float(training.learningRate)
        result.warmupSteps = training.warmupSteps
        result.learningRateDecay = training.learningRateDecay
        result.gradientClipNorm = training.gradientClipNorm
        result.couplesNoiseByOptimalTransport = consistency.couplesNoiseByOptimalTransport
        result.smallNoiseDiffusionLoss = consistency.smallNoiseDiffusionLoss
        result.nonFinitePolicy = training.nonFinitePolicy
        result.evaluationAverageRate = training.evaluationAverageRate.map(Float.init)
        try Self.agentCall { try result.validate() }
        return result
    }

    /// The Agents configuration of EDM diffusion pretraining (METHODS.md §7), validated.
    public func diffusionPretrainingConfiguration() throws -> DiffusionPretrainingConfiguration {
        guard method == .diffusion, let diffusion else {
            throw ConfigurationError.invalidCombination("method \(method.name) is not diffusion; use consistencyTrainingConfiguration()")
        }
        try validate()
        var result = DiffusionPretrainingConfiguration(steps: training.steps, dimension: try dataDimension(),
                                                       width: network.width, depth: network.depth)
        result.seed = seed
        result.batchSize = training.batchSize
        result.network.dropout = Float(network.dropout)
        result.network.normalization = network.normalization
        if let unet = try unetConfiguration() {
            result.unet = unet
            result.labelDropout = network.unet?.labelDropout ?? 0
        }
        result.dataStandardDeviation = training.dataStandardDeviation
        result.logMean = diffusion.logMean
        result.logStandardDeviation = diffusion.logStandardDeviation
        result.minimumTime = training.minimumTime
        result.learningRate = Float(training.learningRate)
        result.warmupSteps = training.warmupSteps
        result.learningRateDecay = training.learningRateDecay
        result.nonFinitePolicy = training.nonFinitePolicy
        result.evaluationAverageRate = training.evaluationAverageRate.map(Float.init)
        try Self.agentCall { try result.validate() }
        return result
    }

    /// The ``Trainer``'s settings: steps, checkpoint interval, checkpoints kept, evaluation interval
    /// (`evaluation.every`, and always the last step; none when `evaluation.metrics` is empty),
    /// and the limit of consecutive skipped steps — `training.max_consecutive_non_finite` under the
    /// skip-and-count policy (the learner enforces the same limit), unlimited under zero-non-finite
    /// (which repairs instead of skipping).
    public func trainerConfiguration(progress: TrainerConfiguration.ProgressStyle = .automatic) throws -> TrainerConfiguration {
        let skipLimit: Int
        switch training.nonFinitePolicy {
        case let .skipAndCount(maximum): skipLimit = maximum
        case .zeroNonFinite: skipLimit = Int.max
        }
        do {
            return try TrainerConfiguration(steps: training.steps, checkpointEvery: training.checkpointEvery,
                                            keepCheckpoints: training.keepCheckpoints,
                                            evaluateEvery: evaluation.metrics.isEmpty ? nil : evaluation.every,
                                            evaluatesAtEnd: !evaluation.metrics.isEmpty,
                                            maximumConsecutiveSkippedSteps: skipLimit, progress: progress)
        } catch {
            throw ConfigurationError.invalidCombination("\(error)")
        }
    }

    /// σ_d of image data in [−1, 1] (METHODS.md §0).
    public static let imageDataStandardDeviation = 0.5

    /// The σ_d a configured run of these data gets when `training.data_standard_deviation` is not given
    /// (METHODS.md §0): ``imageDataStandardDeviation`` (0.5) for images — an empirical dataset whose points
    /// are C×H×W or H×W arrays with every value in [−1, 1] — and nil for anything else, which the learner
    /// then measures (``Preconditioning/measuredDataStandardDeviation(of:)``).
    public static func defaultDataStandardDeviation(of distribution: any DataDistribution) -> Double? {
        guard let images = distribution as? EmpiricalDataset, images.pointShape.count >= 2,
              images.points.allSatisfy({ abs($0) <= 1 }) else { return nil }
        return imageDataStandardDeviation
    }

    /// The σ_d this run's network is built with: `training.data_standard_deviation`, else the value the
    /// learner measures from the environment's data. (A network initialised from `training.pretrained`
    /// keeps the σ_d of that checkpoint.)
    public func networkDataStandardDeviation() throws -> Double {
        if let given = training.dataStandardDeviation { return given }
        return Preconditioning.measuredDataStandardDeviation(of: try Self.distribution(of: environment))
    }

    static func dataDimension(of environment: DistributionSpec) throws -> Int {
        try distribution(of: environment).dimension
    }

    /// The environment's data distribution (an empirical one reads its file).
    static func distribution(of environment: DistributionSpec) throws -> any DataDistribution {
        do {
            return try environment.makeDistribution()
        } catch {
            throw ConfigurationError.invalidCombination("environment: \(error)")
        }
    }

    /// Runs an Agents call, turning its errors into one-line configuration errors.
    static func agentCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError.invalidCombination("\(error)")
        }
    }
}
