import Environments
import Tensors
import Foundation
import NeuralNetworks

/// Every setting of a consistency-training run (METHODS.md §1–§6). ``preset(_:steps:dimension:)``
/// fills in a method's paper defaults; change any field afterwards.
public struct ConsistencyTrainingConfiguration: Sendable {
    public var method: ConsistencyMethod
    /// Total training iterations K (the curricula are scaled to it).
    public var steps: Int
    public var batchSize: Int = 256
    public var seed: UInt64 = 0
    /// The MLP F (its `dataDimension` must match the data); ignored when ``unet`` is set.
    public var network: TimeConditionedMLPConfiguration
    /// The image U-Net F (rows of C·H·W pixels); when set it replaces the MLP of ``network``.
    public var unet: TimeConditionedUNetConfiguration?
    /// Classifier-free guidance training: the probability p_uncond that a row's label is replaced by the
    /// null class K (Ho & Salimans 2022; ``LabelDropout``). 0 (the default) is off; 0.1 is typical.
    /// Needs a class-conditional network.
    public var labelDropout: Double = 0
    /// σ_d; nil measures the data's own standard deviation (RMS over dimensions of 16 384 draws).
    public var dataStandardDeviation: Double?
    public var minimumTime: Double = 0.002
    public var maximumTime: Double = 80
    public var pairs: PairSchedule
    public var estimator: TransitionEstimator
    public var target: TDTarget = .td0
    /// Fresh conditional pairs (the default) or windows replayed from stored episodes (``PairSource``).
    public var pairSource: PairSource = .fresh
    public var targetNetwork: TargetNetwork
    /// Online and target passes share the dropout mask (CM/ECT convention; on by default).
    public var sharesDropoutMask: Bool = true
    public var metric: TDErrorMetric
    /// Adapt the metric's c along the curriculum, c_k = c₀ · N₀ / N(k) (sLCT; iCT-style schedules only).
    public var adaptsMetricConstant: Bool = false
    public var weighting: PairWeighting
    public var optimizer: OptimizerKind
    public var learningRate: Float
    /// Linear learning-rate warm-up over this many iterations (0 = none).
    public var warmupSteps: Int = 0
    /// Decay of the learning rate after the warm-up (constant in the papers).
    public var learningRateDecay: LearningRateDecay = .constant
    /// Global gradient-norm clipping (nil = none).
    public var gradientClipNorm: Double?
    /// Pair noises with data by the exact minibatch OT assignment before noising (sLCT).
    public var couplesNoiseByOptimalTransport: Bool = false
    /// sLCT's diffusion loss at small noise (nil = off).
    public var smallNoiseDiffusionLoss: SmallNoiseDiffusionLoss?
    public var nonFinitePolicy: NonFinitePolicy = .default
    /// Rate of the evaluation EMA of the online parameters (nil = evaluate the online parameters).
    /// Consistency models are evaluated with such an average (CM, iCT, ECT); stored as `/ema/<rate>`.
    public var evaluationAverageRate: Float? = 0.999

    /// The network F the learner builds: ``unet`` when set, else the MLP ``network``. Setting an MLP
    /// clears ``unet``.
    public var architecture: TimeConditionedNetworkArchitecture {
        get { unet.map { .unet($0) } ?? .mlp(network) }
        set {
            switch newValue {
            case let .mlp(configuration): network = configuration; unet = nil
            case let .unet(configuration): unet = configuration
            }
        }
    }

    /// The paper defaults of `method` (METHODS.md §6) for data of dimension `dimension`, with a toy-sized
    /// MLP (width 256, depth 4).
    public static func preset(_ method: ConsistencyMethod, steps: Int, dimension: Int) throws -> ConsistencyTrainingConfiguration {
        let huber = TDErrorMetric.improvedConsistencyHuberConstant(dimension: dimension)
        var network = TimeConditionedMLPConfiguration(dataDimension: dimension, width: 256, depth: 4)
        var configuration: ConsistencyTrainingConfiguration
        switch method {
        case .cd:
            configuration = ConsistencyTrainingConfiguration(
                method: method, steps: steps, network: network, pairs: .consistencyModels(fixedPointCount: 18),
                estimator: .teacher(.heun), targetNetwork: .ema(rate: 0.95), metric: .squaredL2, weighting: .uniform,
                optimizer: .adam, learningRate: 4e-4)
        case .ct:
            configuration = ConsistencyTrainingConfiguration(
                method: method, steps: steps, network: network, pairs: .consistencyModels(), estimator: .conditionalSample,
                targetNetwork: .emaCurriculum, metric: .squaredL2, weighting: .uniform, optimizer: .adam, learningRate: 4e-4)
        case .ict:
            network.dropout = 0.3
            configuration = ConsistencyTrainingConfiguration(
                method: method, steps: steps, network: network, pairs: .improvedConsistency(), estimator: .conditionalSample,
                targetNetwork: .stopGradient, metric: .pseudoHuber(c: huber), weighting: .inverseGridStep,
                optimizer: .radam, learningRate: 1e-4)
        case .ect, .sct:
            configuration = ConsistencyTrainingConfiguration(
                method: method, steps: steps, network: network,
                pairs: .consistencyTuning(progression: method == .ect ? .stepwise : .continuous),
                estimator: method == .ect ? .conditionalSample : .scoreIdentity(referenceSize: nil),
                targetNetwork: .stopGradient, metric: .pseudoHuber(c: 0), weighting: .inverseTimeGap,
                optimizer: .radam, learningRate: 1e-4)
        case .slct:
            network.normalization = .layerNormWithoutScale
            configuration = ConsistencyTrainingConfiguration(
                method: method, steps: steps, network: network, pairs: .improvedConsistency(), estimator: .conditionalSample,
                targetNetwork: .stopGradient, metric: .cauchy(c: huber), weighting: .inverseGridStep,
                optimizer: .radam, learningRate: 1e-4)
            configuration.adaptsMetricConstant = true
            configuration.couplesNoiseByOptimalTransport = true
            configuration.smallNoiseDiffusionLoss = try SmallNoiseDiffusionLoss()
        }
        return configuration
    }

    /// Checks everything that can be checked without data: fails before training starts, naming the
    /// setting and what is expected.
    public func validate() throws {
        guard steps > 0 else { throw AgentError.invalidSetting("steps = \(steps)", expected: "a positive number of training iterations") }
        guard batchSize > 0 else { throw AgentError.invalidSetting("batch size = \(batchSize)", expected: "≥ 1") }
        try unet?.validate()
        try LabelDropout.validate(labelDropout)
        if labelDropout > 0, architecture.classCount == 0 {
            throw AgentError.incompatible("label dropout p_uncond = \(labelDropout) needs a class-conditional network (a U-Net with classCount > 0); \(architecture.summary) takes no labels")
        }
        // One minibatch of activations (B × (W + D) floats, B × D for a U-Net's input rows) must fit in memory at all.
        let rowFloats = unet.map { $0.dataDimension } ?? network.width + network.dataDimension
        try MemoryBudget.check("batch size × (width + data dimension)", [batchSize, rowFloats], operation: "training batch")
        guard minimumTime.isFinite, maximumTime.isFinite, minimumTime > 0, minimumTime < maximumTime else {
            throw AgentError.invalidSetting("time range [t_min, t_max] = [\(minimumTime), \(maximumTime)]", expected: "0 < t_min < t_max")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw AgentError.invalidSetting("learning rate = \(learningRate)", expected: "a finite value > 0")
        }
        guard warmupSteps >= 0 else { throw AgentError.invalidSetting("warm-up steps = \(warmupSteps)", expected: "≥ 0") }
        try learningRateDecay.validate()
        if let gradientClipNorm, !(gradientClipNorm.isFinite && gradientClipNorm > 0) {
            throw AgentError.invalidSetting("gradient clip norm = \(gradientClipNorm)", expected: "a finite value > 0, or none")
        }
        if let sigma = dataStandardDeviation, !(sigma.isFinite && sigma > 0) {
            throw AgentError.invalidSetting("σ_d = \(sigma)", expected: "a finite value > 0, or none to measure it from the data")
        }
        try target.validate()
        try metric.validate()
        _ = try pairSource.windowLength(target)
        if pairSource != .fresh {
            if smallNoiseDiffusionLoss != nil {
                throw AgentError.incompatible("the small-noise diffusion loss needs the clean x₀ of fresh pairs; replayed episodes do not carry it")
            }
            if couplesNoiseByOptimalTransport {
                throw AgentError.incompatible("OT coupling pairs fresh noise with fresh data; it has no meaning for replayed pairs")
            }
        }
        if case let .scoreIdentity(size?) = estimator, size < 1 {
            throw AgentError.invalidSetting("score-identity reference size = \(size)", expected: "≥ 1")
        }
        if targetNetwork == .emaCurriculum, case .consistencyModels = pairs {} else if targetNetwork == .emaCurriculum {
            throw AgentError.incompatible("the curriculum EMA target (μ(k)) needs the CM pair schedule; use .ema(rate:) or .stopGradient with \(pairs)")
        }
        if case let .ema(rate) = targetNetwork, !(rate >= 0 && rate < 1) {
            throw AgentError.invalidSetting("target EMA rate μ = \(rate)", expected: "0 ≤ μ < 1")
        }
        if adaptsMetricConstant {
            guard case .improvedConsistency = pairs else {
                throw AgentError.incompatible("an adaptive metric constant follows the iCT doubling curriculum; the pair schedule is \(pairs)")
            }
            guard let constant = metric.constant else {
                throw AgentError.incompatible("an adaptive metric constant needs a metric with a constant c (pseudo-Huber, Cauchy), not \(metric.name)")
            }
            guard constant > 0 else {
                throw AgentError.invalidSetting("adaptive metric constant c₀ = \(constant)",
                                                expected: "c₀ > 0 (c_k = c₀·N₀/N(k) scales it; iCT: 0.00054·√D)")
            }
        }
        if couplesNoiseByOptimalTransport, batchSize > 1024 {
            throw AgentError.invalidSetting("batch size \(batchSize) with OT coupling", expected: "B ≤ 1024 (exact assignment)")
        }
        _ = try pairs.makeSampler(totalIterations: steps, minimumTime: minimumTime, maximumTime: maximumTime)
    }

    /// The resolved settings as a JSON object (stored in checkpoints).
    public var json: String {
        var fields: [String: Any] = [
            "method": method.rawValue, "steps": steps, "batch_size": batchSize, "seed": seed,
            "network": architecture.settings,
            "data_standard_deviation": dataStandardDeviation.map { $0 as Any } ?? NSNull(),
            "t_min": minimumTime, "t_max": maximumTime, "pairs": "\(pairs)", "estimator": estimator.description,
            "target": target.description, "target_network": "\(targetNetwork)", "shares_dropout_mask": sharesDropoutMask,
            "metric": metric.name, "metric_constant": metric.constant.map { $0 as Any } ?? NSNull(),
            "adapts_metric_constant": adaptsMetricConstant, "weighting": "\(weighting)", "optimizer": optimizer.rawValue,
            "learning_rate": Double(learningRate), "warmup_steps": warmupSteps, "learning_rate_decay": "\(learningRateDecay)",
            "gradient_clip_norm": gradientClipNorm.map { $0 as Any } ?? NSNull(),
            "ot_coupling": couplesNoiseByOptimalTransport,
            "small_noise_diffusion_loss": smallNoiseDiffusionLoss.map { ["quantile": $0.quantile, "weight": $0.weight] as Any } ?? NSNull(),
            "non_finite_policy": "\(nonFinitePolicy)",
            "evaluation_average_rate": evaluationAverageRate.map { Double($0) as Any } ?? NSNull(),
        ]
        if pairSource != .fresh { fields["pair_source"] = pairSource.description }
        if labelDropout > 0 { fields["label_dropout"] = labelDropout }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
