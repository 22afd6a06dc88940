import Environments
import Foundation
import NeuralNetworks
import Tensors

/// The settings of EDM diffusion pretraining (METHODS.md §7; Karras et al. 2022).
public struct DiffusionPretrainingConfiguration: Sendable {
    public var steps: Int
    public var batchSize: Int = 256
    public var seed: UInt64 = 0
    /// The MLP F; ignored when ``unet`` is set.
    public var network: TimeConditionedMLPConfiguration
    /// The image U-Net F (rows of C·H·W pixels); when set it replaces the MLP of ``network``.
    public var unet: TimeConditionedUNetConfiguration?
    /// Classifier-free guidance training: the probability p_uncond that a row's label is replaced by the
    /// null class K (Ho & Salimans 2022; ``LabelDropout``). 0 (the default) is off; 0.1 is typical.
    /// Needs a class-conditional network.
    public var labelDropout: Double = 0
    /// σ_d; nil measures the data's own standard deviation.
    public var dataStandardDeviation: Double?
    /// P_mean and P_std of the log-normal over t (EDM: −1.2, 1.2).
    public var logMean: Double = -1.2
    public var logStandardDeviation: Double = 1.2
    /// t_min of the consistency models tuned from this network (recorded in its preconditioning).
    public var minimumTime: Double = 0.002
    public var learningRate: Float = 1e-3
    public var warmupSteps: Int = 0
    /// Decay of the learning rate after the warm-up (constant by default).
    public var learningRateDecay: LearningRateDecay = .constant
    public var nonFinitePolicy: NonFinitePolicy = .default
    /// Rate of the evaluation EMA of the parameters (nil = off); ``DiffusionPretrainer/averagedNetwork()``
    /// returns the averaged denoiser that teaches CD and initialises ECT/SCT.
    public var evaluationAverageRate: Float? = 0.999

    public init(steps: Int, dimension: Int, width: Int = 256, depth: Int = 4) {
        self.steps = steps
        self.network = TimeConditionedMLPConfiguration(dataDimension: dimension, width: width, depth: depth)
    }

    /// A configuration whose network is the U-Net `unet` (D = C·H·W).
    public init(steps: Int, unet: TimeConditionedUNetConfiguration) {
        self.steps = steps
        self.network = TimeConditionedMLPConfiguration(dataDimension: unet.dataDimension)
        self.unet = unet
    }

    /// The network F the pretrainer builds: ``unet`` when set, else the MLP ``network``. Setting an MLP
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

    /// Fails before training starts for impossible settings, naming them.
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
        guard logMean.isFinite, logStandardDeviation.isFinite, logStandardDeviation > 0 else {
            throw AgentError.invalidSetting("(P_mean, P_std) = (\(logMean), \(logStandardDeviation))", expected: "finite values with P_std > 0")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw AgentError.invalidSetting("learning rate = \(learningRate)", expected: "a finite value > 0")
        }
        try learningRateDecay.validate()
        if let sigma = dataStandardDeviation, !(sigma.isFinite && sigma > 0) {
            throw AgentError.invalidSetting("σ_d = \(sigma)", expected: "a finite value > 0, or none to measure it from the data")
        }
    }

    /// The resolved settings as JSON.
    public var json: String {
        var fields: [String: Any] = [
            "method": "diffusion", "steps": steps, "batch_size": batchSize, "seed": seed,
            "network": architecture.settings,
            "data_standard_deviation": dataStandardDeviation.map { $0 as Any } ?? NSNull(),
            "p_mean": logMean, "p_std": logStandardDeviation, "learning_rate": Double(learningRate), "warmup_steps": warmupSteps,
            "learning_rate_decay": "\(learningRateDecay)",
        ]
        if labelDropout > 0 { fields["label_dropout"] = labelDropout }
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// EDM diffusion pretraining (METHODS.md §7): one iteration draws x₀, z and t = exp(P_mean + P_std ξ),
///
///     L = mean_b (t² + σ_d²)/(t σ_d)² · ‖D_φ(x₀ + t z, t) − x₀‖²
///
/// followed by an Adam step. The trained ``network`` (EDM parameterisation) is the teacher of CD and the
/// initial network of ECT and SCT.
public final class DiffusionPretrainer: TrainingLearner {
    public let configuration: DiffusionPretrainingConfiguration
    public let distribution: any DataDistribution
    public let network: PreconditionedNetwork
    public var evaluator: ((PreconditionedNetwork) throws -> [String: Double])?
    public private(set) var completedIterations = 0
    public private(set) var skippedSteps = 0
    let optimizer: Adam
    let averages: ExponentialMovingAverage?
    private let outputGradient: Tensor

    public var methodName: String { "diffusion" }
    public var seed: UInt64 { configuration.seed }
    public var configurationJSON: String { configuration.json }

    public init(configuration: DiffusionPretrainingConfiguration, distribution: any DataDistribution) throws {
        try configuration.validate()
        guard configuration.architecture.dataDimension == distribution.dimension else {
            throw AgentError.shapeMismatch("the network's data dimension is \(configuration.architecture.dataDimension) but the data have dimension \(distribution.dimension)")
        }
        try ClassLabels.check(architecture: configuration.architecture, distribution: distribution)
        self.configuration = configuration
        self.distribution = distribution
        let sigma = configuration.dataStandardDeviation ?? TrainingDraws.measuredStandardDeviation(of: distribution)
        network = try PreconditionedNetwork(architecture: configuration.architecture, seed: configuration.seed,
                                            preconditioning: Preconditioning(.edmDenoiser, dataStandardDeviation: sigma,
                                                                             minimumTime: configuration.minimumTime))
        optimizer = try Adam()
        try optimizer.prepare(for: network.store)
        let networkStore = network.store
        averages = try configuration.evaluationAverageRate.map { try ExponentialMovingAverage(of: networkStore, rates: [$0]) }
        outputGradient = try Tensor(zeros: [configuration.batchSize, distribution.dimension])
    }

    /// The random draws of iteration k, from the streams ``TrainingStreamNames/pretraining`` keyed by
    /// (seed, purpose, k): x₀ (with labels after label dropout, nil for an unconditional network), z and
    /// t = exp(P_mean + P_std ξ).
    func draws(iteration k: Int) -> (data: [Double], labels: [Int32]?, noise: [Double], times: [Double]) {
        let b = configuration.batchSize, d = distribution.dimension, names = TrainingStreamNames.pretraining
        var dataStream = RandomStream(seed: seed, purpose: names.data, index: UInt64(k))
        var noiseStream = RandomStream(seed: seed, purpose: names.noise, index: UInt64(k))
        var timeStream = RandomStream(seed: seed, purpose: names.time, index: UInt64(k))
        let (data, drawnLabels) = TrainingDraws.sample(distribution, count: b, stream: &dataStream)
        let labels = LabelDropout(probability: configuration.labelDropout)
            .apply(network.classCount > 0 ? drawnLabels : nil, nullClass: network.classCount, seed: seed, iteration: k,
                   purpose: names.labelDropout).labels
        var noise = [Double](repeating: 0, count: b * d)
        noise.withUnsafeMutableBufferPointer { noiseStream.fillNormal($0.baseAddress!, count: $0.count) }
        var times = [Double](repeating: 0, count: b)
        times.withUnsafeMutableBufferPointer { timeStream.fillNormal($0.baseAddress!, count: $0.count) }
        for row in 0..<b { times[row] = Foundation.exp(configuration.logMean + configuration.logStandardDeviation * times[row]) }
        return (data, labels, noise, times)
    }

    public func trainStep() throws -> TrainingStepReport {
        let k = completedIterations, b = configuration.batchSize, d = distribution.dimension
        let (data, labels, noise, times) = draws(iteration: k)
        var noisy = [Float](repeating: 0, count: b * d)
        for i in 0..<(b * d) { noisy[i] = Float(data[i] + times[i / d] * noise[i]) }
        let context = ForwardContext(isTraining: true, dropoutStream: RandomStream(seed: seed, purpose: TrainingStreamNames.pretraining.dropout, index: UInt64(k)))
        let output = try noisy.withUnsafeBufferPointer { x in
            try times.withUnsafeBufferPointer { t in
                try ClassLabels.withPointer(labels) { y in
                    try network.forward(x.baseAddress!, times: t.baseAddress!, rows: b, labels: y, context: context)
                }
            }
        }
        let sigma = network.preconditioning.dataStandardDeviation
        let weighting = PairWeighting.edm(dataStandardDeviation: sigma)
        var loss = 0.0
        for row in 0..<b {
            let weight = weighting.weight(time: times[row], targetTime: 0)
            var squares = 0.0
            for j in 0..<d {
                let i = row * d + j
                let difference = Double(output.data[i]) - data[i]
                squares += difference * difference
                outputGradient.data[i] = Float(2 * weight * difference / Double(b))
            }
            loss += weight * squares
        }
        loss /= Double(b)
        var metrics: [String: Double] = ["train/loss": loss, "train/learning_rate": Double(learningRate(iteration: k))]
        // The policy sees dL/dD first, then the parameter gradients: a finite output gradient can still
        // overflow in the backward pass, and that step must be skipped (or its entries zeroed) too.
        let outputCheck = configuration.nonFinitePolicy.apply(loss: loss, gradient: outputGradient.data, count: b * d)
        var appliesUpdate = outputCheck.appliesUpdate, zeroed = outputCheck.nonFiniteGradientEntries
        if appliesUpdate {
            network.store.zeroGradients()
            try network.backward(outputGradient)
            let parameterCheck = configuration.nonFinitePolicy.apply(loss: loss, gradient: network.store.gradients,
                                                                     count: network.store.count)
            appliesUpdate = parameterCheck.appliesUpdate
            zeroed += parameterCheck.nonFiniteGradientEntries
        }
        if configuration.nonFinitePolicy == .zeroNonFinite { metrics[NonFinitePolicy.zeroedEntriesMetric] = Double(zeroed) }
        if appliesUpdate {
            try optimizer.step(network.store, learningRate: learningRate(iteration: k))
            try averages?.update(from: network.store)
        } else {
            skippedSteps += 1
        }
        completedIterations += 1
        metrics["train/skipped_steps"] = Double(skippedSteps)
        return TrainingStepReport(metrics: metrics, skipped: !appliesUpdate)
    }

    /// The learning rate at iteration k: linear warm-up, then the configured ``LearningRateDecay``.
    public func learningRate(iteration k: Int) -> Float {
        let base = configuration.learningRate, warmup = configuration.warmupSteps
        if warmup > 0 && k < warmup { return base * Float(k + 1) / Float(warmup) }
        return base * configuration.learningRateDecay.factor(iteration: k, total: configuration.steps, warmup: warmup)
    }

    public func evaluate() throws -> [String: Double] {
        guard let evaluator else { return [:] }
        return try evaluator(try averagedNetwork())
    }

    /// A copy of the denoiser with the evaluation-average parameters (the online ones when averaging is
    /// off) — what teaches CD and initialises ECT/SCT.
    public func averagedNetwork() throws -> PreconditionedNetwork {
        let copy = try network.copy()
        if let averages { try averages.copy(0, into: copy.store) }
        return copy
    }

    public func checkpoint() -> Checkpoint {
        Checkpoint(step: completedIterations, method: methodName, seed: seed, configuration: configurationJSON, store: network.store,
                   optimizer: optimizer, learningRate: learningRate(iteration: max(completedIterations - 1, 0)),
                   averages: averages, curriculum: ["skipped_steps": Double(skippedSteps), "data_standard_deviation": network.preconditioning.dataStandardDeviation])
    }

    public func restore(from checkpoint: Checkpoint, path: String) throws {
        guard checkpoint.method == methodName else {
            throw AgentError.incompatible("\(path) holds a '\(checkpoint.method)' run, not a diffusion pretraining run")
        }
        try checkpoint.restore(into: network.store, optimizer: optimizer, averages: averages, path: path)
        if let sigma = checkpoint.curriculum["data_standard_deviation"] { network.preconditioning.dataStandardDeviation = sigma }
        skippedSteps = Int(checkpoint.curriculum["skipped_steps"] ?? 0)
        completedIterations = checkpoint.step
    }
}
