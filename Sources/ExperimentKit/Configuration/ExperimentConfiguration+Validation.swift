import Agents
import Environments
import Tensors

extension ExperimentConfiguration {
    /// Checks every setting that can be checked without training: sizes and counts ≥ 1, rates and
    /// times finite and in range (no NaN or ∞), warm-up no longer than the run, known evaluation
    /// metrics that apply to the environment, and then everything the Agents layer checks (impossible
    /// pair schedules, incompatible targets …). Throws a ``ConfigurationError`` naming the key, the
    /// value and what is expected, for the first problem found.
    public func validate() throws {
        guard !experiment.isEmpty, experiment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw ConfigurationError.invalidValue(key: "experiment", value: "'\(experiment)'",
                                                  expected: "a non-empty name of letters, digits, '.', '_' and '-' (it names run folders)")
        }
        try Self.atLeast(1, network.width, "network.width")
        try Self.atLeast(1, network.depth, "network.depth")
        guard network.dropout.isFinite, network.dropout >= 0, network.dropout < 1 else {
            throw ConfigurationError.invalidValue(key: "network.dropout", value: "\(network.dropout)", expected: "0 ≤ dropout < 1")
        }
        if let unet = network.unet { try Self.validate(unet) }
        guard evaluation.guidanceScale.isFinite else {
            throw ConfigurationError.invalidValue(key: "evaluation.guidance_scale", value: "\(evaluation.guidanceScale)",
                                                  expected: "a finite number (1 = conditional, 0 = unconditional, > 1 = guided)")
        }
        try Self.atLeast(1, training.steps, "training.steps")
        try Self.atLeast(1, training.batchSize, "training.batch_size")
        try Self.positiveFinite(training.learningRate, "training.learning_rate")
        try Self.atLeast(0, training.warmupSteps, "training.warmup_steps")
        guard training.warmupSteps <= training.steps else {
            throw ConfigurationError.invalidValue(key: "training.warmup_steps", value: "\(training.warmupSteps)",
                                                  expected: "at most training.steps = \(training.steps)")
        }
        switch training.learningRateDecay {
        case .constant: break
        case let .cosine(phi), let .linear(phi):
            guard phi.isFinite, phi >= 0, phi <= 1 else {
                throw ConfigurationError.invalidValue(key: "training.decay_final_fraction", value: "\(phi)", expected: "0 ≤ φ ≤ 1")
            }
        }
        if let clip = training.gradientClipNorm { try Self.positiveFinite(clip, "training.gradient_clip_norm") }
        if let sigma = training.dataStandardDeviation { try Self.positiveFinite(sigma, "training.data_standard_deviation") }
        try Self.positiveFinite(training.minimumTime, "training.t_min")
        try Self.positiveFinite(training.maximumTime, "training.t_max")
        guard training.minimumTime < training.maximumTime else {
            throw ConfigurationError.invalidValue(key: "training.t_min", value: "\(training.minimumTime)",
                                                  expected: "t_min < t_max = \(training.maximumTime)")
        }
        if case let .skipAndCount(maximum) = training.nonFinitePolicy {
            try Self.atLeast(1, maximum, "training.max_consecutive_non_finite")
        }
        if let rate = training.evaluationAverageRate, !(rate.isFinite && rate >= 0 && rate < 1) {
            throw ConfigurationError.invalidValue(key: "training.evaluation_average_rate", value: "\(rate)", expected: "0 ≤ rate < 1, or null")
        }
        try Self.atLeast(1, training.checkpointEvery, "training.checkpoint_every")
        try Self.atLeast(1, training.keepCheckpoints, "training.keep_checkpoints")
        if let every = evaluation.every { try Self.atLeast(1, every, "evaluation.every") }
        try Self.atLeast(1, evaluation.samples, "evaluation.samples")
        try Self.fitsInMemory([network.width, network.width, network.depth], "network.width × network.width × network.depth")
        try Self.fitsInMemory([training.batchSize, network.width], "training.batch_size × network.width")
        try Self.fitsInMemory([evaluation.samples, network.width], "evaluation.samples × network.width")
        guard !evaluation.sampleSteps.isEmpty else {
            throw ConfigurationError.invalidValue(key: "evaluation.sample_steps", value: "[]", expected: "at least one step count ≥ 1")
        }
        for steps in evaluation.sampleSteps { try Self.atLeast(1, steps, "evaluation.sample_steps") }
        if method == .diffusion {
            if let steps = evaluation.sampleSteps.first(where: { $0 < 2 }) {
                throw ConfigurationError.invalidValue(key: "evaluation.sample_steps", value: "\(steps)",
                                                      expected: "Heun grid points ≥ 2 for a diffusion model (EDM: 18)")
            }
        } else {
            if let steps = evaluation.sampleSteps.first(where: { $0 > 2 }) {
                throw ConfigurationError.invalidValue(key: "evaluation.sample_steps", value: "\(steps)",
                                                      expected: "1 or 2 steps for a consistency model (2 steps go through evaluation.middle_time)")
            }
            if evaluation.sampleSteps.contains(2),
               !(evaluation.middleTime.isFinite && evaluation.middleTime > training.minimumTime && evaluation.middleTime < training.maximumTime) {
                throw ConfigurationError.invalidValue(key: "evaluation.middle_time", value: "\(evaluation.middleTime)",
                                                      expected: "t_min = \(training.minimumTime) < τ < t_max = \(training.maximumTime)")
            }
        }
        for name in evaluation.metrics {
            guard EvaluationSettings.metricNames.contains(name) else {
                throw ConfigurationError.unknownName(key: "evaluation.metrics", name: name, valid: EvaluationSettings.metricNames)
            }
            if EvaluationSettings.metricNames.prefix(3).contains(name), environment.noiseRange == nil {
                throw ConfigurationError.invalidCombination(
                    "evaluation metric \(name) needs a Gaussian-mixture environment, not \(environment.kind)")
            }
        }
        try validateObjective()
    }

    /// The U-Net's own settings (the image shape is checked against the data when the network is built).
    private static func validate(_ unet: UNetSettings) throws {
        guard !unet.channels.isEmpty else {
            throw ConfigurationError.invalidValue(key: "network.channels", value: "[]", expected: "at least one channel width per level, e.g. [32, 64]")
        }
        for width in unet.channels where width < 1 {
            throw ConfigurationError.invalidValue(key: "network.channels", value: "\(unet.channels)", expected: "channel widths ≥ 1 (one per level)")
        }
        try atLeast(1, unet.blocksPerLevel, "network.blocks_per_level")
        try atLeast(1, unet.groups, "network.groups")
        for width in unet.channels where width % unet.groups != 0 {
            throw ConfigurationError.invalidValue(key: "network.groups", value: "\(unet.groups)",
                                                  expected: "a divisor of every channel width \(unet.channels) (GroupNorm groups)")
        }
        if let embeddingWidth = unet.embeddingWidth { try atLeast(1, embeddingWidth, "network.embedding_width") }
        try atLeast(0, unet.classCount, "network.class_count")
        guard unet.labelDropout.isFinite, unet.labelDropout >= 0, unet.labelDropout < 1 else {
            throw ConfigurationError.invalidValue(key: "network.label_dropout", value: "\(unet.labelDropout)",
                                                  expected: "0 ≤ p_uncond < 1 (0 = off; 0.1 is typical for classifier-free guidance)")
        }
        if unet.labelDropout > 0, unet.classCount == 0 {
            throw ConfigurationError.invalidValue(key: "network.label_dropout", value: "\(unet.labelDropout)",
                                                  expected: "0 for an unconditional network; set network.class_count > 0 to train with label dropout")
        }
    }

    /// Refuses sizes whose float32 arrays (∏ factors × 4 bytes) cannot fit in this machine's memory
    /// (``MemoryBudget``): a width of 10¹² fails here, naming the keys, not in the allocator.
    private static func fitsInMemory(_ factors: [Int], _ keys: String) throws {
        do { try MemoryBudget.check(keys, factors, operation: "configuration") } catch {
            throw ConfigurationError.invalidValue(key: keys, value: factors.map(String.init).joined(separator: " × "),
                                                  expected: "sizes whose arrays fit in memory (\(MemoryBudget.physicalBytes / 1_000_000_000) GB)")
        }
    }

    private func validateObjective() throws {
        switch method {
        case .diffusion:
            guard training.optimizer == .adam else {
                throw ConfigurationError.invalidValue(key: "training.optimizer", value: training.optimizer.rawValue,
                                                      expected: "adam (EDM diffusion pretraining uses Adam)")
            }
            guard let diffusion else { throw ConfigurationError.invalidCombination("method diffusion needs the diffusion section") }
            guard diffusion.logMean.isFinite else {
                throw ConfigurationError.invalidValue(key: "diffusion.log_mean", value: "\(diffusion.logMean)", expected: "a finite number")
            }
            try Self.positiveFinite(diffusion.logStandardDeviation, "diffusion.log_std")
        case .consistency:
            guard let consistency, let pairs else {
                throw ConfigurationError.invalidCombination("method \(method.name) needs the consistency and pairs sections")
            }
            if case let .scoreIdentity(size?) = consistency.estimator { try Self.atLeast(1, size, "consistency.reference_size") }
            if case let .ema(rate) = consistency.targetNetwork, !(rate.isFinite && rate >= 0 && rate < 1) {
                throw ConfigurationError.invalidValue(key: "consistency.target_ema_rate", value: "\(rate)", expected: "0 ≤ μ < 1")
            }
            try validateTarget(consistency.target)
            if let c = consistency.metric.constant {
                let positive = consistency.metric.name == "cauchy"
                guard c.isFinite, positive ? c > 0 : c >= 0 else {
                    throw ConfigurationError.invalidValue(key: "consistency.c", value: "\(c)",
                                                          expected: positive ? "a finite c > 0" : "a finite c ≥ 0")
                }
            }
            switch consistency.weighting {
            case let .inverseSquaredTimePlusData(sigma), let .edm(sigma):
                try Self.positiveFinite(sigma, "consistency.weighting_sigma_data")
            default: break
            }
            try validatePairs(pairs)
        }
    }

    private func validateTarget(_ target: TDTarget) throws {
        switch target {
        case .td0: return
        case let .nStep(n): try Self.atLeast(1, n, "consistency.target_n")
        case let .lambda(lambda, horizon):
            guard lambda.isFinite, lambda >= 0, lambda <= 1 else {
                throw ConfigurationError.invalidValue(key: "consistency.target_lambda", value: "\(lambda)", expected: "0 ≤ λ ≤ 1")
            }
            try Self.atLeast(1, horizon, "consistency.target_horizon")
        case let .monteCarlo(maximum): try Self.atLeast(1, maximum, "consistency.target_maximum_steps")
        }
    }

    private func validatePairs(_ pairs: PairSchedule) throws {
        switch pairs {
        case let .consistencyModels(s0, s1, fixed, mu0, _):
            if let fixed {
                try Self.atLeast(2, fixed, "pairs.fixed_point_count")
            } else {
                try Self.atLeast(2, s0, "pairs.initial_scale")
                guard s1 >= s0 else {
                    throw ConfigurationError.invalidValue(key: "pairs.final_scale", value: "\(s1)", expected: "≥ pairs.initial_scale = \(s0)")
                }
            }
            guard mu0.isFinite, mu0 > 0, mu0 < 1 else {
                throw ConfigurationError.invalidValue(key: "pairs.initial_ema_rate", value: "\(mu0)", expected: "0 < μ₀ < 1 (CM: 0.9)")
            }
        case let .improvedConsistency(s0, s1, mean, std):
            try Self.atLeast(2, s0, "pairs.initial_scale")
            guard s1 >= s0 else {
                throw ConfigurationError.invalidValue(key: "pairs.final_scale", value: "\(s1)", expected: "≥ pairs.initial_scale = \(s0)")
            }
            try validateLogNormal(mean, std)
        case let .consistencyTuning(_, q, mean, std, stages):
            guard q.isFinite, q > 1 else {
                throw ConfigurationError.invalidValue(key: "pairs.shrink_base", value: "\(q)", expected: "a finite q > 1 (ECT: 2)")
            }
            try validateLogNormal(mean, std)
            try Self.positiveFinite(stages, "pairs.stage_count")
        }
    }

    private func validateLogNormal(_ mean: Double, _ std: Double) throws {
        guard mean.isFinite else {
            throw ConfigurationError.invalidValue(key: "pairs.log_mean", value: "\(mean)", expected: "a finite number")
        }
        try Self.positiveFinite(std, "pairs.log_std")
    }

    static func atLeast(_ minimum: Int, _ value: Int, _ key: String) throws {
        guard value >= minimum else {
            throw ConfigurationError.invalidValue(key: key, value: "\(value)", expected: "an integer ≥ \(minimum)")
        }
    }

    static func positiveFinite(_ value: Double, _ key: String) throws {
        guard value.isFinite, value > 0 else {
            throw ConfigurationError.invalidValue(key: key, value: "\(value)", expected: "a finite number > 0")
        }
    }
}
