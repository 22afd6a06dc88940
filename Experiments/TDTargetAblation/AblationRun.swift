import Agents
import Analysis
import Environments
import Foundation
import NeuralNetworks
import Tensors

/// The EDM teacher of one environment and seed (METHODS.md §7; Karras et al. 2022): pretrained once,
/// then the teacher of the teacher estimator and the initial network of every configuration.
struct Teacher {
    let network: PreconditionedNetwork
    /// The EDM Heun sampler's (18 steps) NLL gap, the teacher's own sample quality.
    let heunScore: SampleScore
    let seconds: Double

    /// Pretrains with the ring's tuned toy settings (lr 2e-3, cosine decay to 5%, batch 512 capped at 4×
    /// the consistency batch); evaluation EMA rate 1 − 10/steps clamped to [0.9, 0.999], so short runs
    /// do not average in their random start.
    static func pretrain(_ environment: AblationEnvironment, size: AblationSize, seed: UInt64,
                         evaluation: ConsistencyModelEvaluation, maximumTime: Double) throws -> Teacher {
        let start = Date()
        var configuration = DiffusionPretrainingConfiguration(steps: size.pretrainingSteps, dimension: environment.mixture.dimension,
                                                              width: size.width, depth: size.depth)
        configuration.seed = seed
        configuration.batchSize = min(512, 4 * size.batchSize)
        configuration.learningRate = 2e-3
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.evaluationAverageRate = Float(min(0.999, max(0.9, 1 - 10 / Double(size.pretrainingSteps))))
        let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: environment.mixture)
        for _ in 0..<configuration.steps { _ = try pretrainer.trainStep() }
        let network = try pretrainer.averagedNetwork()
        var noise = RandomStream(seed: seed, purpose: "experiments.td-target-ablation.heun-noise")
        let heun = try EDMHeunSampler(denoiser: network, dimension: environment.mixture.dimension, maximumTime: maximumTime)
            .sample(count: evaluation.sampleCount, stream: &noise)
        return Teacher(network: network, heunScore: try evaluation.score(heun), seconds: Date().timeIntervalSince(start))
    }
}

/// What one configuration × seed produced.
struct AblationRunResult {
    /// Learning curve at ``AblationSize/evaluationSteps``: one-step scores.
    let curve: [SampleScore]
    let oneStep: SampleScore
    let twoStep: SampleScore
    let seconds: Double
}

/// The base method every cell shares: ECT (Geng et al. 2024) tuned from the EDM teacher with the ring's
/// tuned toy settings (RingOfEight: uniform pair weight, lr 1e-3 with a cosine decay to 5%, t_max = 20,
/// stop-gradient target, pseudo-Huber with c = 0), evaluated on the online network; only the TD target
/// and the estimator change from cell to cell.
enum AblationTraining {
    /// t_max of training and sampling (the ring's toy setting).
    static let maximumTime = 20.0
    /// τ₁ of two-step sampling (Song et al. 2023's CIFAR-10 middle time, ``TwoStepSamplingDefaults``).
    static let middleTime = TwoStepSamplingDefaults.cifarMiddleTime

    static func configuration(_ cell: AblationConfiguration, size: AblationSize, dimension: Int,
                              seed: UInt64) throws -> ConsistencyTrainingConfiguration {
        var c = try ConsistencyTrainingConfiguration.preset(.ect, steps: size.steps, dimension: dimension)
        c.seed = seed
        c.network.width = size.width
        c.network.depth = size.depth
        c.batchSize = size.batchSize
        c.learningRate = 1e-3
        c.learningRateDecay = .cosine(finalFraction: 0.05)
        c.maximumTime = maximumTime
        c.weighting = .uniform
        c.evaluationAverageRate = nil
        c.estimator = cell.estimator
        c.target = cell.target
        return c
    }

    /// Tunes the teacher with `cell`'s target and estimator, scoring one-step samples at every
    /// evaluation step, and one- and two-step samples of the final network.
    static func run(_ cell: AblationConfiguration, environment: AblationEnvironment, teacher: Teacher, size: AblationSize,
                    seed: UInt64, evaluation: ConsistencyModelEvaluation) throws -> AblationRunResult {
        let start = Date()
        let configuration = try configuration(cell, size: size, dimension: environment.mixture.dimension, seed: seed)
        let learner = try ConsistencyLearner(configuration: configuration, distribution: environment.mixture,
                                             initial: teacher.network, teacher: teacher.network)
        var curve: [SampleScore] = []
        for target in size.evaluationSteps {
            while learner.completedIterations < target { _ = try learner.trainStep() }
            curve.append(try evaluation.evaluate(learner.online, maximumTime: maximumTime))
        }
        let twoStep = try evaluation.evaluate(learner.online, maximumTime: maximumTime, middleTimes: [middleTime])
        return AblationRunResult(curve: curve, oneStep: curve.last!, twoStep: twoStep, seconds: Date().timeIntervalSince(start))
    }
}
