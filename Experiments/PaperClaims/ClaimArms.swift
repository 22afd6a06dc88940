import Agents
import Analysis
import Environments
import Foundation
import NeuralNetworks
import Tensors

/// A trained arm: a method preset with one change, trained on one data set.
enum ClaimArm: String, CaseIterable {
    case ict, ictEMATeacher = "ict-ema-teacher", ictSquaredL2 = "ict-squared-l2"
    case ect, ectFromScratch = "ect-from-scratch", sct
    case slct, slctPseudoHuber = "slct-pseudo-huber"

    /// Trained on the heavy-tailed Student-t ring (the sLCT arms) or the ring of 8.
    var usesHeavyTailedData: Bool { self == .slct || self == .slctPseudoHuber }
    /// Starts from the pretrained EDM network (ECT, SCT) — `.ectFromScratch` from the same architecture at
    /// its random initialisation.
    var tunesDiffusionModel: Bool { self == .ect || self == .sct }

    /// `.sct` is ECT's recipe with SCT's estimator (the score identity over the minibatch) and nothing
    /// else changed, so the SCT claim compares targets only (the SCT preset also changes the curriculum).
    ///
    /// The paper preset (METHODS.md §6) with the ring's tuned toy settings (Experiments/RingOfEight: lr 1e-3
    /// with a cosine decay to 5%, t_max = 20, no dropout, iCT curriculum up to s₁ = 160, uniform pair weight
    /// for ECT/SCT), evaluated on the online network, then the arm's one change.
    func configuration(size: ClaimSize, seed: UInt64) throws -> ConsistencyTrainingConfiguration {
        let method: ConsistencyMethod
        switch self {
        case .ict, .ictEMATeacher, .ictSquaredL2: method = .ict
        case .ect, .ectFromScratch, .sct: method = .ect
        case .slct, .slctPseudoHuber: method = .slct
        }
        var c = try ConsistencyTrainingConfiguration.preset(method, steps: size.steps, dimension: 2)
        c.seed = seed
        c.network.width = size.width
        c.network.depth = size.depth
        c.network.dropout = 0
        c.batchSize = size.batchSize
        c.learningRate = 1e-3
        c.learningRateDecay = .cosine(finalFraction: 0.05)
        c.maximumTime = ClaimTraining.maximumTime
        c.evaluationAverageRate = nil
        if case let .improvedConsistency(s0, _, mean, std) = c.pairs {
            c.pairs = .improvedConsistency(initialScale: s0, finalScale: 160, logMean: mean, logStandardDeviation: std)
        }
        if method == .ect { c.weighting = .uniform }
        switch self {
        case .ictEMATeacher: c.targetNetwork = .ema(rate: 0.99)
        case .ictSquaredL2: c.metric = .squaredL2
        case .sct: c.estimator = .scoreIdentity(referenceSize: nil)
        case .slctPseudoHuber: c.metric = .pseudoHuber(c: c.metric.constant ?? TDErrorMetric.improvedConsistencyHuberConstant(dimension: 2))
        default: break
        }
        return c
    }
}

/// One arm × seed: the learning curve (one-step scores at ``ClaimSize/evaluationSteps``).
struct ArmResult {
    let curve: [SampleScore]
    let seconds: Double
    var final: SampleScore { curve.last! }
}

enum ClaimTraining {
    static let maximumTime = 20.0

    /// The EDM diffusion network of one seed, pretrained with the ring's toy settings (lr 2e-3, cosine
    /// decay to 5%, EMA 1 − 10/steps clamped to [0.9, 0.999]), and the same architecture untrained.
    static func diffusionNetworks(_ data: GaussianMixture, size: ClaimSize, seed: UInt64) throws
        -> (pretrained: PreconditionedNetwork, untrained: PreconditionedNetwork)
    {
        var configuration = DiffusionPretrainingConfiguration(steps: size.pretrainingSteps, dimension: 2, width: size.width, depth: size.depth)
        configuration.seed = seed
        configuration.batchSize = min(512, 4 * size.batchSize)
        configuration.learningRate = 2e-3
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        configuration.evaluationAverageRate = Float(min(0.999, max(0.9, 1 - 10 / Double(size.pretrainingSteps))))
        let untrained = try DiffusionPretrainer(configuration: configuration, distribution: data).network
        let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: data)
        for _ in 0..<configuration.steps { _ = try pretrainer.trainStep() }
        return (try pretrainer.averagedNetwork(), untrained)
    }

    static func train(_ arm: ClaimArm, data: any DataDistribution, size: ClaimSize, seed: UInt64,
                      initial: PreconditionedNetwork?, evaluation: ConsistencyModelEvaluation) throws -> ArmResult {
        let start = Date()
        let learner = try ConsistencyLearner(configuration: try arm.configuration(size: size, seed: seed), distribution: data,
                                             initial: initial)
        var curve: [SampleScore] = []
        for target in size.evaluationSteps {
            while learner.completedIterations < target { _ = try learner.trainStep() }
            curve.append(try evaluation.evaluate(learner.online, maximumTime: maximumTime))
        }
        return ArmResult(curve: curve, seconds: Date().timeIntervalSince(start))
    }
}
