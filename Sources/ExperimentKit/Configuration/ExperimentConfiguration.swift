import Agents
import Environments
import NeuralNetworks

/// Every setting of one experiment run, as a value: the environment (a ``DistributionSpec``), the
/// method, the network, the training loop, the consistency objective and its pair schedule (or the EDM
/// diffusion objective), and the evaluation. It is what a config file (YAML or JSON) describes, what
/// `--set key=value` overrides change, and what a run folder stores, resolved, as `config.yaml`.
///
/// Defaults are the method preset's (METHODS.md §6, ``ConsistencyTrainingConfiguration/preset(_:steps:dimension:)``;
/// METHODS.md §7, ``DiffusionPretrainingConfiguration``) for the configured environment's dimension, so
///
///     method: ect
///
/// alone is a complete configuration: ECT on the built-in default environment (the 2-D ring of 8
/// Gaussians, radius 2, std 0.1) for ``defaultSteps`` iterations. The file layout, with every key
/// (`key: type`; a key marked "if …" exists only for that choice):
///
///     experiment: string                 # the run-folder prefix ([A-Za-z0-9._-]+)
///     method: diffusion|cd|ct|ict|ect|sct|slct
///     seed: integer ≥ 0
///     environment: {kind: …, …}          # a DistributionSpec (Environments)
///     network: {architecture: mlp|unet, dropout,
///               width, depth, normalization: none|layer-norm|layer-norm-without-scale   # used by mlp
///               channels, blocks_per_level, groups, embedding_width,                     # if unet
///               class_count, label_dropout}                                              # if unet
///     training: {steps, batch_size, optimizer: adam|radam, learning_rate, warmup_steps,
///                learning_rate_decay: constant|cosine|linear, decay_final_fraction (if cosine/linear),
///                gradient_clip_norm, data_standard_deviation, t_min, t_max,
///                non_finite_policy: skip-and-count|zero-non-finite, max_consecutive_non_finite (if skip),
///                evaluation_average_rate, checkpoint_every, keep_checkpoints, pretrained}
///     consistency: {estimator, reference_size (if score-identity), target: td0|nstep|lambda|monte-carlo,
///                   target_n | target_lambda + target_horizon | target_maximum_steps,
///                   target_network: stop-gradient|ema|ema-curriculum, target_ema_rate (if ema),
///                   shares_dropout_mask, metric, c (if the metric has one), adapts_c,
///                   weighting, weighting_sigma_data (if inverse-squared-time-plus-data/edm),
///                   ot_coupling, small_noise_loss, small_noise_quantile + small_noise_weight (if on)}
///     pairs: {schedule: consistency-models|improved-consistency|consistency-tuning,      # not for diffusion
///             initial_scale, final_scale, fixed_point_count, initial_ema_rate,
///             ema_rate_denominator: grid-points-minus-one|grid-points     # if consistency-models
///             initial_scale, final_scale, log_mean, log_std               # if improved-consistency
///             progression: stepwise|continuous, shrink_base, log_mean, log_std, stage_count}  # if consistency-tuning
///     diffusion: {log_mean, log_std}     # diffusion only (EDM's P_mean, P_std)
///     evaluation: {every, samples, sample_steps, metrics, guidance_scale, middle_time}
///
/// Optional values are written as `null` (none). Load with ``ConfigurationDocument``.
public struct ExperimentConfiguration: Equatable, Sendable {
    /// Training iterations when the configuration names none (the tuned ring-of-8 runs' length).
    public static let defaultSteps = 20_000

    /// The built-in default environment: the 2-D ring of 8 Gaussians, radius 2, std 0.1.
    public static let defaultEnvironment = DistributionSpec.ring(RingSpec(modes: 8, radius: 2, std: 0.1))

    /// The name that prefixes the run folders (`runs/<experiment>__<method>__seed<k>__<timestamp>`).
    public var experiment: String
    public var method: ExperimentMethod
    /// The run's root seed (every random stream derives from it).
    public var seed: UInt64
    public var environment: DistributionSpec
    public var network: NetworkSettings
    public var training: TrainingSettings
    /// The consistency objective (nil for diffusion pretraining).
    public var consistency: ConsistencySettings?
    /// The (t, r) pair schedule (nil for diffusion pretraining).
    public var pairs: PairSchedule?
    /// The EDM objective (nil for consistency methods).
    public var diffusion: DiffusionSettings?
    public var evaluation: EvaluationSettings

    public init(experiment: String, method: ExperimentMethod, seed: UInt64, environment: DistributionSpec,
                network: NetworkSettings, training: TrainingSettings, consistency: ConsistencySettings?,
                pairs: PairSchedule?, diffusion: DiffusionSettings?, evaluation: EvaluationSettings) {
        self.experiment = experiment
        self.method = method
        self.seed = seed
        self.environment = environment
        self.network = network
        self.training = training
        self.consistency = consistency
        self.pairs = pairs
        self.diffusion = diffusion
        self.evaluation = evaluation
    }
}

/// A method: EDM diffusion pretraining or one of the consistency presets.
public enum ExperimentMethod: Equatable, Sendable {
    case diffusion
    case consistency(ConsistencyMethod)

    /// Every method name, in the order of METHODS.md §6–§7.
    public static let names = ["diffusion"] + ConsistencyMethod.allCases.map(\.rawValue)

    /// "diffusion", "cd", "ct", "ict", "ect", "sct" or "slct".
    public var name: String {
        switch self {
        case .diffusion: return "diffusion"
        case let .consistency(method): return method.rawValue
        }
    }

    /// The method called `name` (case-insensitive); nil for an unknown name.
    public init?(name: String) {
        if name.lowercased() == "diffusion" { self = .diffusion; return }
        guard let method = ConsistencyMethod(rawValue: name.lowercased()) else { return nil }
        self = .consistency(method)
    }
}

/// The network F: the time-conditioned MLP's size (BENCHMARK.md §1) — hidden width W, number of hidden
/// layers, dropout after every hidden activation, the normalisation of the hidden pre-activations — or,
/// when ``unet`` is set (`architecture: unet`), the image U-Net (``UNetSettings``; `dropout` then applies
/// inside its residual blocks and the MLP fields are unused).
public struct NetworkSettings: Equatable, Sendable {
    public var width: Int
    public var depth: Int
    public var dropout: Double
    public var normalization: TimeConditionedMLPConfiguration.Normalization
    /// The U-Net settings (nil: the MLP).
    public var unet: UNetSettings?

    public init(width: Int, depth: Int, dropout: Double, normalization: TimeConditionedMLPConfiguration.Normalization,
                unet: UNetSettings? = nil) {
        self.width = width
        self.depth = depth
        self.dropout = dropout
        self.normalization = normalization
        self.unet = unet
    }
}

/// The image U-Net of `architecture: unet` (``TimeConditionedUNetConfiguration``; Ho et al. 2020, EDM's
/// U-Net, small): channel widths per level, residual blocks per level, GroupNorm groups, the width E of
/// the time embedding (nil: 4 × the first width), the class count K of a class-conditional network
/// (0: unconditional) and its label dropout p_uncond for classifier-free guidance (Ho & Salimans 2022).
/// The image shape C×H×W comes from the data (an empirical environment's /data of N×C×H×W).
public struct UNetSettings: Equatable, Sendable {
    /// The defaults a document gets when it picks `architecture: unet`: widths [32, 64], one block per
    /// level, 8 groups, E = 4 × 32, unconditional, no label dropout.
    public static let defaults = UNetSettings(channels: [32, 64], blocksPerLevel: 1, groups: 8, embeddingWidth: nil,
                                              classCount: 0, labelDropout: 0)

    public var channels: [Int]
    public var blocksPerLevel: Int
    public var groups: Int
    public var embeddingWidth: Int?
    public var classCount: Int
    public var labelDropout: Double

    public init(channels: [Int], blocksPerLevel: Int, groups: Int, embeddingWidth: Int?, classCount: Int, labelDropout: Double) {
        self.channels = channels
        self.blocksPerLevel = blocksPerLevel
        self.groups = groups
        self.embeddingWidth = embeddingWidth
        self.classCount = classCount
        self.labelDropout = labelDropout
    }
}

/// The training loop: iterations, batch, optimizer and learning-rate schedule (linear warm-up, then
/// ``LearningRateDecay``), gradient clipping, σ_d, the time range [t_min, t_max] (t_max is unused by
/// diffusion pretraining), the non-finite policy, the evaluation EMA rate, checkpoints and the
/// pretrained diffusion checkpoint (`pretrained`: CD's teacher, ECT's and SCT's initial network).
public struct TrainingSettings: Equatable, Sendable {
    public var steps: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var warmupSteps: Int
    public var learningRateDecay: LearningRateDecay
    public var gradientClipNorm: Double?
    public var dataStandardDeviation: Double?
    public var minimumTime: Double
    public var maximumTime: Double
    public var nonFinitePolicy: NonFinitePolicy
    public var evaluationAverageRate: Double?
    public var checkpointEvery: Int
    public var keepCheckpoints: Int
    public var pretrained: String?

    public init(steps: Int, batchSize: Int, optimizer: OptimizerKind, learningRate: Double, warmupSteps: Int,
                learningRateDecay: LearningRateDecay, gradientClipNorm: Double?, dataStandardDeviation: Double?,
                minimumTime: Double, maximumTime: Double, nonFinitePolicy: NonFinitePolicy, evaluationAverageRate: Double?,
                checkpointEvery: Int, keepCheckpoints: Int, pretrained: String?) {
        self.steps = steps
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.learningRateDecay = learningRateDecay
        self.gradientClipNorm = gradientClipNorm
        self.dataStandardDeviation = dataStandardDeviation
        self.minimumTime = minimumTime
        self.maximumTime = maximumTime
        self.nonFinitePolicy = nonFinitePolicy
        self.evaluationAverageRate = evaluationAverageRate
        self.checkpointEvery = checkpointEvery
        self.keepCheckpoints = keepCheckpoints
        self.pretrained = pretrained
    }
}

/// The consistency objective (METHODS.md §3–§6): transition estimator, TD target, target network θ⁻,
/// TD-error metric m (with its constant c) and pair weighting w(t, r), and sLCT's extras.
public struct ConsistencySettings: Equatable, Sendable {
    public var estimator: TransitionEstimator
    public var target: TDTarget
    public var targetNetwork: TargetNetwork
    public var sharesDropoutMask: Bool
    public var metric: TDErrorMetric
    public var adaptsMetricConstant: Bool
    public var weighting: PairWeighting
    public var couplesNoiseByOptimalTransport: Bool
    public var smallNoiseDiffusionLoss: SmallNoiseDiffusionLoss?

    public init(estimator: TransitionEstimator, target: TDTarget, targetNetwork: TargetNetwork, sharesDropoutMask: Bool,
                metric: TDErrorMetric, adaptsMetricConstant: Bool, weighting: PairWeighting,
                couplesNoiseByOptimalTransport: Bool, smallNoiseDiffusionLoss: SmallNoiseDiffusionLoss?) {
        self.estimator = estimator
        self.target = target
        self.targetNetwork = targetNetwork
        self.sharesDropoutMask = sharesDropoutMask
        self.metric = metric
        self.adaptsMetricConstant = adaptsMetricConstant
        self.weighting = weighting
        self.couplesNoiseByOptimalTransport = couplesNoiseByOptimalTransport
        self.smallNoiseDiffusionLoss = smallNoiseDiffusionLoss
    }
}

/// EDM's log-normal noise distribution ln t ~ N(P_mean, P_std²) (METHODS.md §7; Karras et al. 2022:
/// −1.2, 1.2).
public struct DiffusionSettings: Equatable, Sendable {
    public var logMean: Double
    public var logStandardDeviation: Double

    public init(logMean: Double, logStandardDeviation: Double) {
        self.logMean = logMean
        self.logStandardDeviation = logStandardDeviation
    }
}

/// What is measured about a run's samples (METHODS.md §8–§9) while it trains: every `every` iterations
/// (nil: once, at the last step), on `samples` generated points with each step count of `sampleSteps`
/// (1 or 2 for a consistency model, 2 steps through the middle time τ = `middleTime`; Heun grid points
/// for a diffusion model), with the named `metrics`, against as many held-out data points
/// (``TrainingSampleEvaluation``). The values land in the run's metrics as
/// `eval/<sampler>/<metric>`, e.g. `eval/1-step/nll`, `eval/2-step/mmd2`, `eval/heun-18/energy_distance`.
/// An empty `metrics` list turns evaluation off.
///
/// `middleTime` defaults to 0.821, the CIFAR-scale τ of CM and ECT (``TwoStepSamplingDefaults``); toy
/// data of another scale deserve their own (`ConsistencySampler.searchMiddleTime` finds one).
///
/// `guidanceScale` is the classifier-free guidance scale w of a class-conditional model's samples
/// (``ClassGuidedNetwork``: D_w = D(·|∅) + w (D(·|y) − D(·|∅)); 1 = plain conditional, 0 = unconditional);
/// `consistency-td sample` uses it when `--guidance` is not given.
public struct EvaluationSettings: Equatable, Sendable {
    /// The metric names of METHODS.md §9; the first three need a Gaussian-mixture environment.
    public static let metricNames = ["nll", "mode-coverage", "precision", "sliced-wasserstein", "mmd", "energy-distance"]

    public var every: Int?
    public var samples: Int
    public var sampleSteps: [Int]
    public var metrics: [String]
    public var guidanceScale: Double
    /// τ, the middle time of 2-step consistency sampling.
    public var middleTime: Double

    public init(every: Int?, samples: Int, sampleSteps: [Int], metrics: [String], guidanceScale: Double = 1,
                middleTime: Double = TwoStepSamplingDefaults.cifarMiddleTime) {
        self.every = every
        self.samples = samples
        self.sampleSteps = sampleSteps
        self.metrics = metrics
        self.guidanceScale = guidanceScale
        self.middleTime = middleTime
    }
}
