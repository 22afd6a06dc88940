import Agents
import Environments
import NeuralNetworks

/// The file form of ``ExperimentConfiguration`` (the layout in its documentation): snake_case keys,
/// choices as names plus the parameters of the chosen case, every key of the chosen cases required
/// (``ConfigurationDocument`` fills in the defaults first), optionals written as `null`.
extension ExperimentConfiguration: Codable {
    enum Keys: String, CodingKey {
        case experiment, method, seed, environment, network, training, consistency, pairs, diffusion, evaluation
    }

    enum NetworkKeys: String, CodingKey {
        case architecture, width, depth, dropout, normalization, channels, blocksPerLevel = "blocks_per_level", groups
        case embeddingWidth = "embedding_width", classCount = "class_count", labelDropout = "label_dropout"
    }

    enum TrainingKeys: String, CodingKey {
        case steps, batchSize = "batch_size", optimizer, learningRate = "learning_rate", warmupSteps = "warmup_steps"
        case learningRateDecay = "learning_rate_decay", decayFinalFraction = "decay_final_fraction"
        case gradientClipNorm = "gradient_clip_norm", dataStandardDeviation = "data_standard_deviation"
        case minimumTime = "t_min", maximumTime = "t_max", nonFinitePolicy = "non_finite_policy"
        case maximumConsecutiveNonFinite = "max_consecutive_non_finite", evaluationAverageRate = "evaluation_average_rate"
        case checkpointEvery = "checkpoint_every", keepCheckpoints = "keep_checkpoints", pretrained
    }

    enum ConsistencyKeys: String, CodingKey {
        case estimator, referenceSize = "reference_size", target, targetN = "target_n", targetLambda = "target_lambda"
        case targetHorizon = "target_horizon", targetMaximumSteps = "target_maximum_steps", targetNetwork = "target_network"
        case targetEMARate = "target_ema_rate", sharesDropoutMask = "shares_dropout_mask", metric, c
        case adaptsC = "adapts_c", weighting, weightingSigmaData = "weighting_sigma_data", otCoupling = "ot_coupling"
        case smallNoiseLoss = "small_noise_loss", smallNoiseQuantile = "small_noise_quantile", smallNoiseWeight = "small_noise_weight"
    }

    enum PairKeys: String, CodingKey {
        case schedule, initialScale = "initial_scale", finalScale = "final_scale", fixedPointCount = "fixed_point_count"
        case initialEMARate = "initial_ema_rate", emaRateDenominator = "ema_rate_denominator", logMean = "log_mean", logStandardDeviation = "log_std"
        case progression, shrinkBase = "shrink_base", stageCount = "stage_count"
    }

    enum DiffusionKeys: String, CodingKey { case logMean = "log_mean", logStandardDeviation = "log_std" }

    enum EvaluationKeys: String, CodingKey { case every, samples, sampleSteps = "sample_steps", metrics, guidanceScale = "guidance_scale", middleTime = "middle_time" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        experiment = try c.decode(String.self, forKey: .experiment)
        let methodName = try c.decode(String.self, forKey: .method)
        guard let method = ExperimentMethod(name: methodName) else {
            throw ConfigurationError.unknownName(key: "method", name: methodName, valid: ExperimentMethod.names)
        }
        self.method = method
        seed = try c.decodeInteger(UInt64.self, forKey: .seed)
        environment = try c.decode(DistributionSpec.self, forKey: .environment)

        let n = try c.nestedContainer(keyedBy: NetworkKeys.self, forKey: .network)
        network = NetworkSettings(width: try n.decodeInteger(Int.self, forKey: .width), depth: try n.decodeInteger(Int.self, forKey: .depth),
                                  dropout: try n.decode(Double.self, forKey: .dropout),
                                  normalization: try ConfigurationNames.normalization(try n.decode(String.self, forKey: .normalization)))
        let architecture = try n.decodeIfPresent(String.self, forKey: .architecture) ?? "mlp"
        switch architecture {
        case "mlp": network.unet = nil
        case "unet":
            network.unet = UNetSettings(
                channels: try n.decodeInteger([Int].self, forKey: .channels), blocksPerLevel: try n.decodeInteger(Int.self, forKey: .blocksPerLevel),
                groups: try n.decodeInteger(Int.self, forKey: .groups), embeddingWidth: try n.decodeInteger(Int?.self, forKey: .embeddingWidth),
                classCount: try n.decodeInteger(Int.self, forKey: .classCount), labelDropout: try n.decode(Double.self, forKey: .labelDropout))
        default:
            throw ConfigurationError.unknownName(key: "network.architecture", name: architecture, valid: ConfigurationNames.architectures)
        }

        let t = try c.nestedContainer(keyedBy: TrainingKeys.self, forKey: .training)
        let decayName = try t.decode(String.self, forKey: .learningRateDecay)
        let decay: LearningRateDecay
        switch decayName {
        case "constant": decay = .constant
        case "cosine": decay = .cosine(finalFraction: Float(try t.decode(Double.self, forKey: .decayFinalFraction)))
        case "linear": decay = .linear(finalFraction: Float(try t.decode(Double.self, forKey: .decayFinalFraction)))
        default: throw ConfigurationError.unknownName(key: "training.learning_rate_decay", name: decayName, valid: ConfigurationNames.decays)
        }
        let policyName = try t.decode(String.self, forKey: .nonFinitePolicy)
        let policy: NonFinitePolicy
        switch policyName {
        case "skip-and-count": policy = .skipAndCount(maximumConsecutive: try t.decodeInteger(Int.self, forKey: .maximumConsecutiveNonFinite))
        case "zero-non-finite": policy = .zeroNonFinite
        default: throw ConfigurationError.unknownName(key: "training.non_finite_policy", name: policyName, valid: ConfigurationNames.policies)
        }
        let optimizerName = try t.decode(String.self, forKey: .optimizer)
        guard let optimizer = OptimizerKind(rawValue: optimizerName) else {
            throw ConfigurationError.unknownName(key: "training.optimizer", name: optimizerName, valid: OptimizerKind.allCases.map(\.rawValue))
        }
        training = TrainingSettings(
            steps: try t.decodeInteger(Int.self, forKey: .steps), batchSize: try t.decodeInteger(Int.self, forKey: .batchSize), optimizer: optimizer,
            learningRate: try t.decode(Double.self, forKey: .learningRate), warmupSteps: try t.decodeInteger(Int.self, forKey: .warmupSteps),
            learningRateDecay: decay, gradientClipNorm: try t.decode(Double?.self, forKey: .gradientClipNorm),
            dataStandardDeviation: try t.decode(Double?.self, forKey: .dataStandardDeviation),
            minimumTime: try t.decode(Double.self, forKey: .minimumTime), maximumTime: try t.decode(Double.self, forKey: .maximumTime),
            nonFinitePolicy: policy, evaluationAverageRate: try t.decode(Double?.self, forKey: .evaluationAverageRate),
            checkpointEvery: try t.decodeInteger(Int.self, forKey: .checkpointEvery), keepCheckpoints: try t.decodeInteger(Int.self, forKey: .keepCheckpoints),
            pretrained: try t.decode(String?.self, forKey: .pretrained))

        if method == .diffusion {
            let d = try c.nestedContainer(keyedBy: DiffusionKeys.self, forKey: .diffusion)
            diffusion = DiffusionSettings(logMean: try d.decode(Double.self, forKey: .logMean),
                                          logStandardDeviation: try d.decode(Double.self, forKey: .logStandardDeviation))
            consistency = nil
            pairs = nil
        } else {
            diffusion = nil
            consistency = try Self.decodeConsistency(try c.nestedContainer(keyedBy: ConsistencyKeys.self, forKey: .consistency))
            pairs = try Self.decodePairs(try c.nestedContainer(keyedBy: PairKeys.self, forKey: .pairs))
        }

        let e = try c.nestedContainer(keyedBy: EvaluationKeys.self, forKey: .evaluation)
        evaluation = EvaluationSettings(every: try e.decodeInteger(Int?.self, forKey: .every), samples: try e.decodeInteger(Int.self, forKey: .samples),
                                        sampleSteps: try e.decodeInteger([Int].self, forKey: .sampleSteps),
                                        metrics: try e.decode([String].self, forKey: .metrics),
                                        guidanceScale: try e.decodeIfPresent(Double.self, forKey: .guidanceScale) ?? 1,
                                        middleTime: try e.decodeIfPresent(Double.self, forKey: .middleTime) ?? TwoStepSamplingDefaults.cifarMiddleTime)
    }

    private static func decodeConsistency(_ c: KeyedDecodingContainer<ConsistencyKeys>) throws -> ConsistencySettings {
        let estimatorName = try c.decode(String.self, forKey: .estimator)
        var estimator = try ConfigurationNames.estimator(estimatorName)
        if case .scoreIdentity = estimator { estimator = .scoreIdentity(referenceSize: try c.decodeInteger(Int?.self, forKey: .referenceSize)) }

        let targetName = try c.decode(String.self, forKey: .target)
        let target: TDTarget
        switch targetName {
        case "td0": target = .td0
        case "nstep": target = .nStep(try c.decodeInteger(Int.self, forKey: .targetN))
        case "lambda": target = .lambda(try c.decode(Double.self, forKey: .targetLambda), horizon: try c.decodeInteger(Int.self, forKey: .targetHorizon))
        case "monte-carlo": target = .monteCarlo(maximumSteps: try c.decodeInteger(Int.self, forKey: .targetMaximumSteps))
        default: throw ConfigurationError.unknownName(key: "consistency.target", name: targetName, valid: ConfigurationNames.targets)
        }

        let networkName = try c.decode(String.self, forKey: .targetNetwork)
        let targetNetwork: TargetNetwork
        switch networkName {
        case "stop-gradient": targetNetwork = .stopGradient
        case "ema": targetNetwork = .ema(rate: try c.decode(Double.self, forKey: .targetEMARate))
        case "ema-curriculum": targetNetwork = .emaCurriculum
        default: throw ConfigurationError.unknownName(key: "consistency.target_network", name: networkName, valid: ConfigurationNames.targetNetworks)
        }

        let metricName = try c.decode(String.self, forKey: .metric)
        guard TDErrorMetric.names.contains(metricName) else {
            throw ConfigurationError.unknownName(key: "consistency.metric", name: metricName, valid: TDErrorMetric.names)
        }
        let metric: TDErrorMetric
        switch metricName {
        case "squared-l2": metric = .squaredL2
        case "l1": metric = .l1
        case "mean-squared": metric = .meanSquared
        case "pseudo-huber": metric = .pseudoHuber(c: try c.decode(Double.self, forKey: .c))
        case "pseudo-huber-elementwise": metric = .pseudoHuberElementwise(c: try c.decode(Double.self, forKey: .c))
        default: metric = .cauchy(c: try c.decode(Double.self, forKey: .c))
        }

        let weightingName = try c.decode(String.self, forKey: .weighting)
        let weighting: PairWeighting
        switch weightingName {
        case "uniform": weighting = .uniform
        case "inverse-grid-step": weighting = .inverseGridStep
        case "inverse-time-gap": weighting = .inverseTimeGap
        case "inverse-squared-time-plus-data":
            weighting = .inverseSquaredTimePlusData(dataStandardDeviation: try c.decode(Double.self, forKey: .weightingSigmaData))
        case "edm": weighting = .edm(dataStandardDeviation: try c.decode(Double.self, forKey: .weightingSigmaData))
        default: throw ConfigurationError.unknownName(key: "consistency.weighting", name: weightingName, valid: ConfigurationNames.weightings)
        }

        var smallNoise: SmallNoiseDiffusionLoss?
        if try c.decode(Bool.self, forKey: .smallNoiseLoss) {
            let quantile = try c.decode(Double.self, forKey: .smallNoiseQuantile)
            let weight = try c.decode(Double.self, forKey: .smallNoiseWeight)
            do {
                smallNoise = try SmallNoiseDiffusionLoss(quantile: quantile, weight: weight)
            } catch {
                throw ConfigurationError.invalidValue(key: "consistency.small_noise_quantile/small_noise_weight",
                                                      value: "\(quantile)/\(weight)", expected: "0 ≤ q ≤ 1 and a finite λ ≥ 0")
            }
        }
        return ConsistencySettings(
            estimator: estimator, target: target, targetNetwork: targetNetwork,
            sharesDropoutMask: try c.decode(Bool.self, forKey: .sharesDropoutMask), metric: metric,
            adaptsMetricConstant: try c.decode(Bool.self, forKey: .adaptsC), weighting: weighting,
            couplesNoiseByOptimalTransport: try c.decode(Bool.self, forKey: .otCoupling), smallNoiseDiffusionLoss: smallNoise)
    }

    /// `pairs.ema_rate_denominator`; a config.yaml written before the key existed means the default.
    private static func decodeEMARateDenominator(_ c: KeyedDecodingContainer<PairKeys>) throws -> ConsistencyModelPairSampler.EMARateDenominator {
        guard let name = try c.decodeIfPresent(String.self, forKey: .emaRateDenominator) else { return .gridPointsMinusOne }
        guard let denominator = ConsistencyModelPairSampler.EMARateDenominator(rawValue: name) else {
            throw ConfigurationError.unknownName(key: "pairs.ema_rate_denominator", name: name,
                                                 valid: ConsistencyModelPairSampler.EMARateDenominator.allCases.map(\.rawValue))
        }
        return denominator
    }

    private static func decodePairs(_ c: KeyedDecodingContainer<PairKeys>) throws -> PairSchedule {
        let name = try c.decode(String.self, forKey: .schedule)
        switch name {
        case "consistency-models":
            return .consistencyModels(initialScale: try c.decodeInteger(Int.self, forKey: .initialScale),
                                      finalScale: try c.decodeInteger(Int.self, forKey: .finalScale),
                                      fixedPointCount: try c.decodeInteger(Int?.self, forKey: .fixedPointCount),
                                      initialEMARate: try c.decode(Double.self, forKey: .initialEMARate),
                                      emaRateDenominator: try decodeEMARateDenominator(c))
        case "improved-consistency":
            return .improvedConsistency(initialScale: try c.decodeInteger(Int.self, forKey: .initialScale),
                                        finalScale: try c.decodeInteger(Int.self, forKey: .finalScale),
                                        logMean: try c.decode(Double.self, forKey: .logMean),
                                        logStandardDeviation: try c.decode(Double.self, forKey: .logStandardDeviation))
        case "consistency-tuning":
            let progressionName = try c.decode(String.self, forKey: .progression)
            guard let progression = ConsistencyTuningPairSampler.StageProgression(rawValue: progressionName) else {
                throw ConfigurationError.unknownName(key: "pairs.progression", name: progressionName, valid: ["stepwise", "continuous"])
            }
            return .consistencyTuning(progression: progression, shrinkBase: try c.decode(Double.self, forKey: .shrinkBase),
                                      logMean: try c.decode(Double.self, forKey: .logMean),
                                      logStandardDeviation: try c.decode(Double.self, forKey: .logStandardDeviation),
                                      stageCount: try c.decode(Double.self, forKey: .stageCount))
        default:
            throw ConfigurationError.unknownName(key: "pairs.schedule", name: name, valid: ConfigurationNames.schedules)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(method.name, forKey: .method)
        try c.encode(seed, forKey: .seed)
        try c.encode(environment, forKey: .environment)

        var n = c.nestedContainer(keyedBy: NetworkKeys.self, forKey: .network)
        try n.encode(network.width, forKey: .width)
        try n.encode(network.depth, forKey: .depth)
        try n.encode(network.dropout, forKey: .dropout)
        try n.encode(ConfigurationNames.name(of: network.normalization), forKey: .normalization)
        try n.encode(network.unet == nil ? "mlp" : "unet", forKey: .architecture)
        if let unet = network.unet {
            try n.encode(unet.channels, forKey: .channels)
            try n.encode(unet.blocksPerLevel, forKey: .blocksPerLevel)
            try n.encode(unet.groups, forKey: .groups)
            try n.encode(unet.embeddingWidth, forKey: .embeddingWidth)
            try n.encode(unet.classCount, forKey: .classCount)
            try n.encode(unet.labelDropout, forKey: .labelDropout)
        }

        var t = c.nestedContainer(keyedBy: TrainingKeys.self, forKey: .training)
        try t.encode(training.steps, forKey: .steps)
        try t.encode(training.batchSize, forKey: .batchSize)
        try t.encode(training.optimizer.rawValue, forKey: .optimizer)
        try t.encode(training.learningRate, forKey: .learningRate)
        try t.encode(training.warmupSteps, forKey: .warmupSteps)
        switch training.learningRateDecay {
        case .constant: try t.encode("constant", forKey: .learningRateDecay)
        case let .cosine(phi):
            try t.encode("cosine", forKey: .learningRateDecay)
            try t.encode(ConfigurationNames.shortestDouble(phi), forKey: .decayFinalFraction)
        case let .linear(phi):
            try t.encode("linear", forKey: .learningRateDecay)
            try t.encode(ConfigurationNames.shortestDouble(phi), forKey: .decayFinalFraction)
        }
        try t.encode(training.gradientClipNorm, forKey: .gradientClipNorm)
        try t.encode(training.dataStandardDeviation, forKey: .dataStandardDeviation)
        try t.encode(training.minimumTime, forKey: .minimumTime)
        try t.encode(training.maximumTime, forKey: .maximumTime)
        switch training.nonFinitePolicy {
        case let .skipAndCount(maximum):
            try t.encode("skip-and-count", forKey: .nonFinitePolicy)
            try t.encode(maximum, forKey: .maximumConsecutiveNonFinite)
        case .zeroNonFinite: try t.encode("zero-non-finite", forKey: .nonFinitePolicy)
        }
        try t.encode(training.evaluationAverageRate, forKey: .evaluationAverageRate)
        try t.encode(training.checkpointEvery, forKey: .checkpointEvery)
        try t.encode(training.keepCheckpoints, forKey: .keepCheckpoints)
        try t.encode(training.pretrained, forKey: .pretrained)

        if let consistency {
            try Self.encode(consistency, into: c.nestedContainer(keyedBy: ConsistencyKeys.self, forKey: .consistency))
        }
        if let pairs { try Self.encode(pairs, into: c.nestedContainer(keyedBy: PairKeys.self, forKey: .pairs)) }
        if let diffusion {
            var d = c.nestedContainer(keyedBy: DiffusionKeys.self, forKey: .diffusion)
            try d.encode(diffusion.logMean, forKey: .logMean)
            try d.encode(diffusion.logStandardDeviation, forKey: .logStandardDeviation)
        }

        var e = c.nestedContainer(keyedBy: EvaluationKeys.self, forKey: .evaluation)
        try e.encode(evaluation.every, forKey: .every)
        try e.encode(evaluation.samples, forKey: .samples)
        try e.encode(evaluation.sampleSteps, forKey: .sampleSteps)
        try e.encode(evaluation.metrics, forKey: .metrics)
        try e.encode(evaluation.guidanceScale, forKey: .guidanceScale)
        try e.encode(evaluation.middleTime, forKey: .middleTime)
    }

    private static func encode(_ s: ConsistencySettings, into container: KeyedEncodingContainer<ConsistencyKeys>) throws {
        var c = container
        switch s.estimator {
        case let .scoreIdentity(size):
            try c.encode("score-identity", forKey: .estimator)
            try c.encode(size, forKey: .referenceSize)
        default: try c.encode(s.estimator.description, forKey: .estimator)
        }
        switch s.target {
        case .td0: try c.encode("td0", forKey: .target)
        case let .nStep(n):
            try c.encode("nstep", forKey: .target)
            try c.encode(n, forKey: .targetN)
        case let .lambda(lambda, horizon):
            try c.encode("lambda", forKey: .target)
            try c.encode(lambda, forKey: .targetLambda)
            try c.encode(horizon, forKey: .targetHorizon)
        case let .monteCarlo(maximum):
            try c.encode("monte-carlo", forKey: .target)
            try c.encode(maximum, forKey: .targetMaximumSteps)
        }
        switch s.targetNetwork {
        case .stopGradient: try c.encode("stop-gradient", forKey: .targetNetwork)
        case let .ema(rate):
            try c.encode("ema", forKey: .targetNetwork)
            try c.encode(rate, forKey: .targetEMARate)
        case .emaCurriculum: try c.encode("ema-curriculum", forKey: .targetNetwork)
        }
        try c.encode(s.sharesDropoutMask, forKey: .sharesDropoutMask)
        try c.encode(s.metric.name, forKey: .metric)
        if let constant = s.metric.constant { try c.encode(constant, forKey: .c) }
        try c.encode(s.adaptsMetricConstant, forKey: .adaptsC)
        try c.encode(ConfigurationNames.name(of: s.weighting), forKey: .weighting)
        switch s.weighting {
        case let .inverseSquaredTimePlusData(sigma), let .edm(sigma): try c.encode(sigma, forKey: .weightingSigmaData)
        default: break
        }
        try c.encode(s.couplesNoiseByOptimalTransport, forKey: .otCoupling)
        try c.encode(s.smallNoiseDiffusionLoss != nil, forKey: .smallNoiseLoss)
        if let loss = s.smallNoiseDiffusionLoss {
            try c.encode(loss.quantile, forKey: .smallNoiseQuantile)
            try c.encode(loss.weight, forKey: .smallNoiseWeight)
        }
    }

    private static func encode(_ pairs: PairSchedule, into container: KeyedEncodingContainer<PairKeys>) throws {
        var c = container
        switch pairs {
        case let .consistencyModels(s0, s1, fixed, mu0, denominator):
            try c.encode("consistency-models", forKey: .schedule)
            try c.encode(s0, forKey: .initialScale)
            try c.encode(s1, forKey: .finalScale)
            try c.encode(fixed, forKey: .fixedPointCount)
            try c.encode(mu0, forKey: .initialEMARate)
            try c.encode(denominator.rawValue, forKey: .emaRateDenominator)
        case let .improvedConsistency(s0, s1, mean, std):
            try c.encode("improved-consistency", forKey: .schedule)
            try c.encode(s0, forKey: .initialScale)
            try c.encode(s1, forKey: .finalScale)
            try c.encode(mean, forKey: .logMean)
            try c.encode(std, forKey: .logStandardDeviation)
        case let .consistencyTuning(progression, q, mean, std, stages):
            try c.encode("consistency-tuning", forKey: .schedule)
            try c.encode(progression.rawValue, forKey: .progression)
            try c.encode(q, forKey: .shrinkBase)
            try c.encode(mean, forKey: .logMean)
            try c.encode(std, forKey: .logStandardDeviation)
            try c.encode(stages, forKey: .stageCount)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes an integer (or a list of them), reporting a number that is not a non-negative or
    /// signed integer as needed (2.5; −1 for `UInt64`) as a type mismatch at `key`. The numbers are
    /// checked as `Double`s first because the JSON decoder reports such a number without its path.
    func decodeInteger<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        func mismatch() -> DecodingError {
            .typeMismatch(type, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "not an integer"))
        }
        func isInteger(_ value: Double) -> Bool {
            value.isFinite && value.rounded() == value && (type != UInt64.self || value >= 0)
        }
        // An integer past Int.max (a UInt64 ≥ 2⁶³, as a seed may be) where an Int is expected: the JSON
        // decoder would report it without the key.
        func exceedsInt(_ value: UInt64) -> Bool { value > UInt64(Int.max) }
        if type == Int.self || type == Int?.self, let value = try? decode(UInt64.self, forKey: key), exceedsInt(value) { throw mismatch() }
        if type == [Int].self, let values = try? decode([UInt64].self, forKey: key), values.contains(where: exceedsInt) { throw mismatch() }
        if type == [Int].self {
            if let values = try? decode([Double].self, forKey: key), !values.allSatisfy(isInteger) { throw mismatch() }
        } else if !((try? decodeNil(forKey: key)) ?? false), let value = try? decode(Double.self, forKey: key), !isInteger(value) {
            throw mismatch()
        }
        return try decode(type, forKey: key)
    }
}
