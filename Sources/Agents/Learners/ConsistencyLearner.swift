import Environments
import Foundation
import NeuralNetworks
import Replay
import Tensors
import VarianceReduction

/// Trains a consistency model f_θ by TD learning on the denoising MDP — one learner for every method
/// (CD, CT, iCT, ECT, SCT, sLCT are ``ConsistencyTrainingConfiguration`` presets). One iteration k:
///
///     x₀ ~ data, z ~ N(0, I) (optionally OT-coupled to x₀), (t, r) ~ pair schedule at k
///     x_t = x₀ + t z;   path t = τ₀ > τ₁ = r > τ₂ > … (the schedule's step rule)
///     x̂_{τ_j} by the transition estimator;  G = TD(0) / n-step / TD(λ) / Monte-Carlo return with f_θ⁻
///     L = mean_b w(t, r) · m(f_θ(x_t, t) − sg G)   [+ λ_d ‖f_θ(x_t, t) − x₀‖² for t ≤ the 30% quantile (sLCT)]
///
/// then an optimizer step and the target-network update. With ``PairSource/replay(_:)`` the states,
/// times and returns come from n-step windows of stored episodes instead (see ``PairSource``). With a stop-gradient target and a shared
/// dropout mask, the online rows and every bootstrap state run as ONE stacked forward (rows of block
/// k use the online rows' masks); otherwise the target pass runs first on its own.
///
/// Determinism: every draw comes from a stream keyed by (seed, purpose, iteration), so iteration k
/// depends only on the seed, k and the state a ``Checkpoint`` captures.
public final class ConsistencyLearner: TrainingLearner {
    public let configuration: ConsistencyTrainingConfiguration
    public let distribution: any DataDistribution
    /// The online network f_θ (consistency parameterisation).
    public let online: PreconditionedNetwork
    /// θ⁻ when it is an EMA (nil for a stop-gradient target).
    public let targetNetwork: PreconditionedNetwork?
    public let teacher: (any RowTimeDenoiser)?
    public let sampler: any TimePairSampler
    /// Evaluation hook (sample quality …); nil evaluates nothing.
    public var evaluator: ((PreconditionedNetwork) throws -> [String: Double])?
    /// Stored episodes the ``PairSource/replay(_:)`` source draws from (refill or replace between steps;
    /// ignored for fresh pairs). Its D must be the data's.
    public var replayBuffer: ReplayBuffer?
    public private(set) var completedIterations = 0
    public private(set) var skippedSteps = 0

    let optimizer: any StateBackedOptimizer
    let averages: ExponentialMovingAverage?
    let loss: WeightedTDLoss
    let adaptiveConstant: AdaptiveHuberConstant?
    /// The whole training set as the empirical-exact estimator's shared references (labelled for a
    /// class-conditional network).
    let empiricalReferences: ScoreIdentityReferences<Double>?
    /// `empiricalReferences` rounded to Float for the Float32 kernel.
    let empiricalFloat32References: ScoreIdentityReferences<Float>?
    /// The Float32 score-identity kernel of the score-identity and empirical-exact targets (its
    /// workspace is kept between steps; see ``ScoreIdentityTransition`` on the precision).
    let scoreIdentityKernel = FastScoreIdentityDenoiser(threadCount: BLASRuntime.threadCount)
    private let outputGradient: Tensor

    public var methodName: String { configuration.method.rawValue }
    public var seed: UInt64 { configuration.seed }
    public var configurationJSON: String { configuration.json }

    /// Builds the learner and checks everything before training starts: the configuration, the data
    /// dimension, a teacher for teacher estimators, a closed-form distribution for the exact estimator,
    /// a finite dataset for the empirical-exact estimator, and a pretrained diffusion network (`initial`)
    /// of the same architecture for methods that tune one (ECT, SCT, CD).
    public init(configuration: ConsistencyTrainingConfiguration, distribution: any DataDistribution,
                initial: PreconditionedNetwork? = nil, teacher: (any RowTimeDenoiser)? = nil, replay: ReplayBuffer? = nil) throws {
        try configuration.validate()
        let d = distribution.dimension
        if case .replay = configuration.pairSource {
            guard let replay, replay.count > 0 else {
                throw AgentError.incompatible("the replay pair source needs a non-empty replay buffer (`replay:`): fill one with ReplayBuffer.fill from a policy's rollouts or load a trajectory dataset")
            }
            guard replay.dimension == d else {
                throw AgentError.shapeMismatch("the replay buffer holds episodes of D = \(replay.dimension) but the data have dimension \(d)")
            }
            guard replay.times.last! >= configuration.minimumTime * (1 - 1e-9) else {
                throw AgentError.incompatible("the replay buffer's grid ends at t = \(replay.times.last!), below the learner's t_min = \(configuration.minimumTime)")
            }
            let classCount = configuration.architecture.classCount
            if classCount > 0, let episode = replay.episodes.first(where: { $0.label.map { !(0..<Int32(classCount)).contains($0) } ?? true }) {
                throw AgentError.incompatible(Self.replayLabelProblem(episode.label, classCount: classCount))
            }
        }
        guard configuration.architecture.dataDimension == d else {
            throw AgentError.shapeMismatch("the network's data dimension is \(configuration.architecture.dataDimension) but the data have dimension \(d)")
        }
        try ClassLabels.check(architecture: configuration.architecture, distribution: distribution)
        if configuration.method.startsFromDiffusionModel, initial == nil {
            throw AgentError.incompatible("\(configuration.method.rawValue.uppercased()) starts from a pretrained diffusion model: pass it as `initial` (train one with DiffusionPretrainer)")
        }
        if case .teacher = configuration.estimator, teacher == nil {
            throw AgentError.incompatible("the teacher estimator needs a teacher denoiser (a pretrained diffusion network or a closed-form denoiser); none was given")
        }
        if case .exact = configuration.estimator, !(distribution is any ClosedFormDistribution) {
            throw AgentError.incompatible("the exact estimator needs data with a closed-form denoiser (e.g. a Gaussian mixture), not \(type(of: distribution))")
        }
        let classCount = configuration.architecture.classCount
        if classCount > 0 {
            if case .exact = configuration.estimator {
                throw AgentError.incompatible("the exact estimator solves the unconditional PF-ODE, so it cannot give the targets of a class-conditional network (\(configuration.architecture.summary)); use score-identity, empirical-exact, conditional or a class-conditional teacher")
            }
            if case .teacher = configuration.estimator, let teacher, teacher.classCount != classCount {
                throw AgentError.incompatible("a class-conditional student (\(classCount) classes) needs a class-conditional teacher with the same classes (labels 0…\(classCount - 1), null class \(classCount)); the teacher has classCount = \(teacher.classCount)")
            }
        }
        switch configuration.estimator {
        case .empiricalExact:
            guard let dataset = distribution as? EmpiricalDataset, dataset.count > 0 else {
                throw AgentError.incompatible("the empirical-exact estimator needs a finite dataset with samples (an EmpiricalDataset); \(type(of: distribution)) has none")
            }
            empiricalReferences = try .shared(points: dataset.points.map { Double($0) }, labels: classCount > 0 ? dataset.labels : nil,
                                              dimension: d)
            empiricalFloat32References = try empiricalReferences?.converted(to: Float.self)
        case let .scoreIdentity(size?):
            if let dataset = distribution as? EmpiricalDataset, size > dataset.count {
                throw AgentError.invalidSetting("score-identity reference size \(size)", expected: "at most the \(dataset.count) points of the dataset")
            }
            empiricalReferences = nil
            empiricalFloat32References = nil
        default:
            empiricalReferences = nil
            empiricalFloat32References = nil
        }
        self.configuration = configuration
        self.distribution = distribution
        self.teacher = teacher
        self.replayBuffer = replay
        sampler = try configuration.pairs.makeSampler(totalIterations: configuration.steps, minimumTime: configuration.minimumTime,
                                                      maximumTime: configuration.maximumTime)
        let sigma = configuration.dataStandardDeviation ?? TrainingDraws.measuredStandardDeviation(of: distribution)
        let preconditioning = try Preconditioning(.consistency, dataStandardDeviation: sigma, minimumTime: configuration.minimumTime)
        online = try PreconditionedNetwork(architecture: configuration.architecture, seed: configuration.seed,
                                           preconditioning: preconditioning)
        if let initial {
            let initialLayout = initial.store.entries.map { [$0.name] + $0.shape.map(String.init) }
            let onlineLayout = online.store.entries.map { [$0.name] + $0.shape.map(String.init) }
            guard initial.dimension == d, initialLayout == onlineLayout else {
                throw AgentError.shapeMismatch("the initial network (\(initial.architecture.summary), \(initial.store.count) parameters) does not match the configured one (\(configuration.architecture.summary), \(online.store.count) parameters)")
            }
            try online.store.loadValues(Array(UnsafeBufferPointer(start: initial.store.values, count: initial.store.count)))
            online.preconditioning.dataStandardDeviation = initial.preconditioning.dataStandardDeviation
        }
        if configuration.targetNetwork == .stopGradient {
            targetNetwork = nil
        } else {
            targetNetwork = try online.copy()
        }
        switch configuration.optimizer {
        case .adam: optimizer = try Adam()
        case .radam: optimizer = try RAdam()
        }
        try optimizer.prepare(for: online.store)
        let onlineStore = online.store
        averages = try configuration.evaluationAverageRate.map { try ExponentialMovingAverage(of: onlineStore, rates: [$0]) }
        loss = try WeightedTDLoss(metric: configuration.metric, weighting: configuration.weighting)
        if configuration.adaptsMetricConstant, let c0 = configuration.metric.constant,
           let curriculum = sampler as? ImprovedConsistencyPairSampler {
            adaptiveConstant = try AdaptiveHuberConstant(initialConstant: c0, curriculum: curriculum)
        } else {
            adaptiveConstant = nil
        }
        outputGradient = try Tensor(zeros: [configuration.batchSize, d])
    }

    /// The learning rate at iteration k: linear warm-up, then the configured ``LearningRateDecay``.
    public func learningRate(iteration k: Int) -> Float {
        let base = configuration.learningRate, warmup = configuration.warmupSteps
        if warmup > 0 && k < warmup { return base * Float(k + 1) / Float(warmup) }
        return base * configuration.learningRateDecay.factor(iteration: k, total: configuration.steps, warmup: warmup)
    }

    /// The metric at iteration k (with sLCT's adaptive c when enabled).
    func metric(iteration k: Int) -> WeightedTDLoss {
        guard let adaptiveConstant, let curriculum = sampler as? ImprovedConsistencyPairSampler else { return loss }
        let c = adaptiveConstant.constant(iteration: k, curriculum: curriculum)
        let metric: TDErrorMetric
        switch configuration.metric {
        case .pseudoHuber: metric = .pseudoHuber(c: c)
        case .pseudoHuberElementwise: metric = .pseudoHuberElementwise(c: c)
        case .cauchy: metric = .cauchy(c: c)
        default: metric = configuration.metric
        }
        return (try? WeightedTDLoss(metric: metric, weighting: configuration.weighting)) ?? loss
    }

    /// The transition estimator of one batch. For a class-conditional network (`conditioning.queryLabels`
    /// set) every estimator targets the class-conditional PF-ODE of the row's class y: the score identity
    /// and the empirical-exact estimator weight only references labelled y (METHODS.md §3.4), the teacher
    /// denoises with D_φ(·, · | ỹ) (ỹ the label after dropout), and rows whose label was dropped get the
    /// unconditional target.
    func makeEstimator(_ draws: TrainingDraws, iteration: Int, conditioning: RowConditioning = .none) throws -> any TransitionEstimating {
        let d = distribution.dimension
        switch configuration.estimator {
        case .exact:
            guard let closedForm = distribution as? any ClosedFormDistribution else {
                throw AgentError.incompatible("the exact estimator needs a closed-form distribution")
            }
            return makeExact(closedForm)
        case let .teacher(solver):
            guard let teacher else { throw AgentError.incompatible("the teacher estimator needs a teacher") }
            return TeacherTransition(teacher: teacher, solver: solver, labels: conditioning.networkLabels)
        case .conditionalSample:
            return try ConditionalSampleTransition(data: draws.data, noise: draws.noise, dimension: d)
        case let .scoreIdentity(size):
            let labels = conditioning.queryLabels
            let references: ScoreIdentityReferences<Double>
            if let size {
                var stream = RandomStream(seed: configuration.seed, purpose: "reference", index: UInt64(iteration))
                let (pool, poolLabels) = TrainingDraws.sample(distribution, count: size - 1, stream: &stream)
                references = try .ownPlusPool(own: draws.data, ownLabels: labels, pool: pool,
                                              poolLabels: labels == nil ? nil : poolLabels, dimension: d)
            } else {
                references = try .shared(points: draws.data, labels: labels, dimension: d)
            }
            return try ScoreIdentityTransition(references: references, queryLabels: labels, unconditionalRows: conditioning.dropped,
                                               float32Denoiser: scoreIdentityKernel)
        case .empiricalExact:
            guard let empiricalReferences else { throw AgentError.incompatible("the empirical-exact estimator needs a finite dataset") }
            return try ScoreIdentityTransition(references: empiricalReferences, queryLabels: conditioning.queryLabels,
                                               unconditionalRows: conditioning.dropped, float32Denoiser: scoreIdentityKernel,
                                               float32References: empiricalFloat32References)
        }
    }

    private func makeExact<D: ClosedFormDistribution>(_ distribution: D) -> any TransitionEstimating {
        ExactTransition(distribution: distribution, minimumTime: configuration.minimumTime)
    }

    public func trainStep() throws -> TrainingStepReport {
        let k = completedIterations, b = configuration.batchSize, d = distribution.dimension
        let pairs = try preparePairs(iteration: k)
        let noisy = pairs.states, times = pairs.times, targetTimes = pairs.targetTimes
        let request = (points: pairs.bootstrapPoints, times: pairs.bootstrapTimes)
        let dropoutStream = RandomStream(seed: configuration.seed, purpose: TrainingStreamNames.consistency.dropout, index: UInt64(k))
        let requestRows = request.times.count
        let labels = online.classCount > 0 ? pairs.labels : nil
        var bootstrapValues: [Double] = []
        let onlineOutput: Tensor
        if targetNetwork == nil, configuration.sharesDropoutMask {
            // One stacked forward: online rows first, then every bootstrap block (masks repeat every b rows).
            let stacked = (noisy + request.points).map { Float($0) }
            let stackedTimes = times + request.times
            let context = ForwardContext(isTraining: true, dropoutStream: dropoutStream, maskPeriod: b, gradientRows: b)
            let stackedLabels = ClassLabels.repeated(labels, period: b, rows: b + requestRows)
            onlineOutput = try stacked.withUnsafeBufferPointer { x in
                try stackedTimes.withUnsafeBufferPointer { t in
                    try ClassLabels.withPointer(stackedLabels) { y in
                        try online.forward(x.baseAddress!, times: t.baseAddress!, rows: b + requestRows, labels: y, context: context)
                    }
                }
            }
            bootstrapValues = (0..<(requestRows * d)).map { Double(onlineOutput.data[b * d + $0]) }
        } else {
            if requestRows > 0 {
                let network = targetNetwork ?? online
                let stream = configuration.sharesDropoutMask ? dropoutStream
                    : RandomStream(seed: configuration.seed, purpose: "dropout-target", index: UInt64(k))
                let context = ForwardContext(isTraining: true, dropoutStream: stream, maskPeriod: b)
                let points = request.points.map { Float($0) }
                let requestLabels = ClassLabels.repeated(labels, period: b, rows: requestRows)
                let output = try points.withUnsafeBufferPointer { x in
                    try request.times.withUnsafeBufferPointer { t in
                        try ClassLabels.withPointer(requestLabels) { y in
                            try network.forward(x.baseAddress!, times: t.baseAddress!, rows: requestRows, labels: y, context: context)
                        }
                    }
                }
                bootstrapValues = (0..<(requestRows * d)).map { Double(output.data[$0]) }
            }
            let points = noisy.map { Float($0) }
            let context = ForwardContext(isTraining: true, dropoutStream: dropoutStream, maskPeriod: b, gradientRows: b)
            onlineOutput = try points.withUnsafeBufferPointer { x in
                try times.withUnsafeBufferPointer { t in
                    try ClassLabels.withPointer(labels) { y in
                        try online.forward(x.baseAddress!, times: t.baseAddress!, rows: b, labels: y, context: context)
                    }
                }
            }
        }
        let returns = try pairs.assemble(bootstrapValues)

        // Loss and dL/df for the online rows.
        let targetsFloat = returns.map { Float($0) }
        let weighted = metric(iteration: k)
        var lossValue = targetsFloat.withUnsafeBufferPointer { g in
            weighted.lossAndGradient(outputs: onlineOutput.data, targets: g.baseAddress!, rows: b, dimension: d,
                                     times: times, targetTimes: targetTimes, gradient: outputGradient.data)
        }
        var diffusionLoss = 0.0
        if let smallNoise = configuration.smallNoiseDiffusionLoss, let cleanData = pairs.cleanData {
            let data = cleanData.map { Float($0) }
            diffusionLoss = data.withUnsafeBufferPointer { x0 in
                smallNoise.addLossAndGradient(outputs: onlineOutput.data, cleanData: x0.baseAddress!, times: times,
                                              threshold: smallNoise.threshold(times: times), rows: b, dimension: d,
                                              scale: 1 / Double(b), gradient: outputGradient.data).loss
            }
            lossValue += diffusionLoss
        }
        let check = configuration.nonFinitePolicy.apply(loss: lossValue, gradient: outputGradient.data, count: b * d)
        var metrics: [String: Double] = ["train/loss": lossValue, "train/learning_rate": Double(learningRate(iteration: k))]
        if configuration.smallNoiseDiffusionLoss != nil { metrics["train/small_noise_diffusion_loss"] = diffusionLoss }
        for (name, value) in curriculumState(iteration: k) { metrics["curriculum/\(name)"] = value }
        guard check.appliesUpdate else {
            skippedSteps += 1
            completedIterations += 1
            metrics["train/skipped_steps"] = Double(skippedSteps)
            return TrainingStepReport(metrics: metrics, skipped: true)
        }
        online.store.zeroGradients()
        try online.backward(outputGradient)
        // The non-finite policy runs before clipping: a NaN/∞ entry makes the norm non-finite, and
        // clipping would leave the rest of the gradient unscaled once the policy zeroed that entry.
        let gradientCheck = configuration.nonFinitePolicy.apply(loss: lossValue, gradient: online.store.gradients, count: online.store.count)
        guard gradientCheck.appliesUpdate else {
            skippedSteps += 1
            completedIterations += 1
            metrics["train/skipped_steps"] = Double(skippedSteps)
            return TrainingStepReport(metrics: metrics, skipped: true)
        }
        if configuration.nonFinitePolicy == .zeroNonFinite {
            metrics[NonFinitePolicy.zeroedEntriesMetric] = Double(check.nonFiniteGradientEntries + gradientCheck.nonFiniteGradientEntries)
        }
        if let clip = configuration.gradientClipNorm {
            metrics["train/gradient_norm"] = try clipGradientNorm(online.store, maxNorm: clip)
        }
        try optimizer.step(online.store, learningRate: learningRate(iteration: k))
        try averages?.update(from: online.store)
        if let targetNetwork {
            let rate = targetEMARate(iteration: k) ?? 0
            let mu = Float(rate), target = targetNetwork.store.values, source = online.store.values
            for i in 0..<online.store.count { target[i] = mu * target[i] + (1 - mu) * source[i] }
            online.store.copyFrozenValues(from: source, into: target)
            metrics["train/target_ema_rate"] = rate
        }
        completedIterations += 1
        metrics["train/skipped_steps"] = Double(skippedSteps)
        return TrainingStepReport(metrics: metrics)
    }

    public func evaluate() throws -> [String: Double] {
        guard let evaluator else { return [:] }
        return try evaluator(try averagedNetwork())
    }

    /// A copy of f_θ with the evaluation-average parameters (the online ones when averaging is off):
    /// the model to sample from and evaluate.
    public func averagedNetwork() throws -> PreconditionedNetwork {
        let copy = try online.copy()
        if let averages { try averages.copy(0, into: copy.store) }
        return copy
    }

    /// The rate μ of the target update θ⁻ ← μ θ⁻ + (1 − μ) θ after iteration k: the constant of
    /// ``TargetNetwork/ema(rate:)`` (CD: 0.95), the CM curriculum's μ(k) for
    /// ``TargetNetwork/emaCurriculum`` (CT), nil for a stop-gradient target (iCT, ECT, SCT).
    func targetEMARate(iteration k: Int) -> Double? {
        switch configuration.targetNetwork {
        case let .ema(rate): return rate
        case .emaCurriculum: return (sampler as? ConsistencyModelPairSampler)?.emaRate(iteration: k) ?? 0
        case .stopGradient: return nil
        }
    }

    /// The curriculum at iteration k that checkpoints (`/curriculum`) and metrics (`curriculum/<name>`)
    /// record: the sampler's state with `mu` = the target network's rate ``targetEMARate(iteration:)``,
    /// absent for a stop-gradient target. (The CM sampler's own `mu` is its curriculum μ(k), which a
    /// CD run with a constant-rate target does not use.)
    func curriculumState(iteration k: Int) -> [String: Double] {
        var state = sampler.curriculumState(iteration: k)
        state["mu"] = targetEMARate(iteration: k)
        return state
    }

    public func checkpoint() -> Checkpoint {
        var curriculum = curriculumState(iteration: completedIterations)
        curriculum["skipped_steps"] = Double(skippedSteps)
        curriculum["data_standard_deviation"] = online.preconditioning.dataStandardDeviation
        return Checkpoint(step: completedIterations, method: methodName, seed: seed, configuration: configurationJSON,
                          store: online.store, target: targetNetwork?.store, optimizer: optimizer,
                          learningRate: learningRate(iteration: max(completedIterations - 1, 0)), averages: averages,
                          curriculum: curriculum)
    }

    public func restore(from checkpoint: Checkpoint, path: String) throws {
        guard checkpoint.method == methodName else {
            throw AgentError.incompatible("\(path) holds a '\(checkpoint.method)' run but this learner trains '\(methodName)'")
        }
        guard checkpoint.seed == seed else {
            throw AgentError.incompatible("\(path) was trained with seed \(checkpoint.seed) but this learner uses seed \(seed)")
        }
        try checkpoint.restore(into: online.store, target: targetNetwork?.store, optimizer: optimizer, averages: averages, path: path)
        if let sigma = checkpoint.curriculum["data_standard_deviation"] { online.preconditioning.dataStandardDeviation = sigma }
        targetNetwork?.preconditioning = online.preconditioning
        skippedSteps = Int(checkpoint.curriculum["skipped_steps"] ?? 0)
        completedIterations = checkpoint.step
    }
}
