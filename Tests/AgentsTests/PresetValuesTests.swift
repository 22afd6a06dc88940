import Agents
import Environments
import Foundation
import NeuralNetworks
import Testing

/// Pins every method preset, pair-schedule default and the diffusion-pretraining defaults to the numbers
/// written in METHODS.md (§0, §2, §4–§7). Every expected value is a literal copied from METHODS.md (or,
/// for the derived sampler numbers, computed by hand from its formulas), never the result of calling the
/// code under test, so a changed default fails here. The last test pins the toolkit defaults that
/// METHODS.md leaves open; those numbers come from the code, not from the document.
@Suite("Method presets carry the paper defaults of METHODS.md")
struct PresetValuesTests {
    /// K, the length of training the curricula are scaled to (divisible by 8 so that ECT's d = K/8 and
    /// iCT's K′ = K/8 are whole numbers).
    static let steps = 800

    static func preset(_ method: ConsistencyMethod, dimension: Int = 2) throws -> ConsistencyTrainingConfiguration {
        try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: dimension)
    }

    static func sampler(of configuration: ConsistencyTrainingConfiguration) throws -> any TimePairSampler {
        try configuration.pairs.makeSampler(totalIterations: steps, minimumTime: configuration.minimumTime,
                                            maximumTime: configuration.maximumTime)
    }

    static func isClose(_ value: Double?, _ expected: Double, relative tolerance: Double = 1e-12) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= tolerance * max(abs(expected), 1e-300)
    }

    // MARK: - What every preset shares

    @Test("every preset runs on [t_min, t_max] = [0.002, 80] (§0) with the TD(0) consistency target on fresh pairs",
          arguments: ConsistencyMethod.allCases)
    func timeRangeAndTarget(method: ConsistencyMethod) throws {
        let configuration = try Self.preset(method)
        #expect(configuration.method == method)
        #expect(configuration.steps == Self.steps)
        #expect(configuration.minimumTime == 0.002)
        #expect(configuration.maximumTime == 80)
        #expect(configuration.target == .td0)
        #expect(configuration.pairSource == .fresh)
    }

    @Test("every preset shares the dropout mask between online and target passes (§4) and skips and counts non-finite steps (§5)",
          arguments: ConsistencyMethod.allCases)
    func dropoutMaskAndNonFinitePolicy(method: ConsistencyMethod) throws {
        let configuration = try Self.preset(method)
        #expect(configuration.sharesDropoutMask)
        guard case .skipAndCount = configuration.nonFinitePolicy else {
            Issue.record("\(method): non-finite policy is \(configuration.nonFinitePolicy), METHODS §5 says skip-and-count by default")
            return
        }
    }

    @Test("CD, ECT and SCT start from a pretrained diffusion model; CT, iCT and sLCT from scratch (§6, init column)")
    func initialisation() {
        #expect(ConsistencyMethod.cd.startsFromDiffusionModel)
        #expect(!ConsistencyMethod.ct.startsFromDiffusionModel)
        #expect(!ConsistencyMethod.ict.startsFromDiffusionModel)
        #expect(ConsistencyMethod.ect.startsFromDiffusionModel)
        #expect(ConsistencyMethod.sct.startsFromDiffusionModel)
        #expect(!ConsistencyMethod.slct.startsFromDiffusionModel)
    }

    @Test("only sLCT uses OT coupling, the small-noise diffusion loss, an adaptive c and non-scaling LayerNorm (§6)",
          arguments: [ConsistencyMethod.cd, .ct, .ict, .ect, .sct])
    func slctExtrasAreOffElsewhere(method: ConsistencyMethod) throws {
        let configuration = try Self.preset(method)
        #expect(!configuration.couplesNoiseByOptimalTransport)
        #expect(configuration.smallNoiseDiffusionLoss == nil)
        #expect(!configuration.adaptsMetricConstant)
        #expect(configuration.network.normalization == .none)
    }

    // MARK: - One preset per row of the §6 table

    @Test("CD: teacher Heun, CM pairs with N = 18 fixed, EMA target μ = 0.95, squared L2, weight 1")
    func consistencyDistillation() throws {
        let configuration = try Self.preset(.cd)
        #expect(configuration.estimator == .teacher(.heun))
        #expect(configuration.pairs == .consistencyModels(initialScale: 2, finalScale: 150, fixedPointCount: 18, initialEMARate: 0.9,
                                                          emaRateDenominator: .gridPointsMinusOne))
        #expect(configuration.targetNetwork == .ema(rate: 0.95))
        #expect(configuration.metric == .squaredL2)
        #expect(configuration.weighting == .uniform)
        #expect(configuration.unet == nil)
    }

    @Test("CT: conditional estimator, CM curriculum (s0 = 2, s1 = 150, μ0 = 0.9, ÷ (N − 1)), EMA target μ(k), squared L2, weight 1")
    func consistencyTraining() throws {
        let configuration = try Self.preset(.ct)
        #expect(configuration.estimator == .conditionalSample)
        #expect(configuration.pairs == .consistencyModels(initialScale: 2, finalScale: 150, fixedPointCount: nil, initialEMARate: 0.9,
                                                          emaRateDenominator: .gridPointsMinusOne))
        #expect(configuration.targetNetwork == .emaCurriculum)
        #expect(configuration.metric == .squaredL2)
        #expect(configuration.weighting == .uniform)
    }

    @Test("iCT: conditional estimator, log-normal pairs (P_mean −1.1, P_std 2.0) with doubling (s0 10, s1 1280), stop-gradient, weight 1/(t_{i+1} − t_i), dropout on")
    func improvedConsistencyTraining() throws {
        let configuration = try Self.preset(.ict)
        #expect(configuration.estimator == .conditionalSample)
        #expect(configuration.pairs == .improvedConsistency(initialScale: 10, finalScale: 1280, logMean: -1.1, logStandardDeviation: 2.0))
        #expect(configuration.targetNetwork == .stopGradient)
        #expect(configuration.weighting == .inverseGridStep)
        #expect(configuration.network.dropout > 0)
    }

    @Test("iCT's pseudo-Huber constant is c = 0.00054·√D over the whole vector: 7.636753236814714e−4 at D = 2, 0.00432 at D = 64")
    func improvedConsistencyHuberConstant() throws {
        for (dimension, expected) in [(2, 0.0007636753236814714), (64, 0.00432)] {
            let configuration = try Self.preset(.ict, dimension: dimension)
            guard case let .pseudoHuber(c) = configuration.metric else {
                Issue.record("iCT at D = \(dimension): metric is \(configuration.metric.name), METHODS §5 says whole-vector pseudo-Huber")
                continue
            }
            #expect(Self.isClose(c, expected), "iCT at D = \(dimension): c = \(c), expected 0.00054·√\(dimension) = \(expected)")
        }
    }

    @Test("ECT: conditional estimator, mapping with q = 2 and stepwise stages, stop-gradient, √(‖Δ‖² + c²) − c with c = 0, weight 1/(t − r), RAdam lr 1e−4")
    func easyConsistencyTuning() throws {
        for dimension in [2, 64] {
            let configuration = try Self.preset(.ect, dimension: dimension)
            #expect(configuration.estimator == .conditionalSample)
            #expect(configuration.pairs == .consistencyTuning(progression: .stepwise, shrinkBase: 2, logMean: -1.1,
                                                              logStandardDeviation: 2.0, stageCount: 8))
            #expect(configuration.targetNetwork == .stopGradient)
            #expect(configuration.metric == .pseudoHuber(c: 0))
            #expect(configuration.weighting == .inverseTimeGap)
            #expect(configuration.optimizer == .radam)
            #expect(configuration.learningRate == 1e-4)
        }
    }

    @Test("SCT: ECT with continuous stages and the score identity over the minibatch; metric and weight as ECT")
    func stableConsistencyTuning() throws {
        let configuration = try Self.preset(.sct)
        #expect(configuration.estimator == .scoreIdentity(referenceSize: nil))
        #expect(configuration.pairs == .consistencyTuning(progression: .continuous, shrinkBase: 2, logMean: -1.1,
                                                          logStandardDeviation: 2.0, stageCount: 8))
        #expect(configuration.targetNetwork == .stopGradient)
        #expect(configuration.metric == .pseudoHuber(c: 0))
        #expect(configuration.weighting == .inverseTimeGap)
    }

    @Test("sLCT: iCT pairs, conditional estimator with OT coupling, stop-gradient, Cauchy with adaptive c, iCT weight, small-noise loss (q 0.3, λ 1), non-scaling LayerNorm")
    func improvedLatentConsistencyTraining() throws {
        let configuration = try Self.preset(.slct)
        #expect(configuration.pairs == .improvedConsistency(initialScale: 10, finalScale: 1280, logMean: -1.1, logStandardDeviation: 2.0))
        #expect(configuration.estimator == .conditionalSample)
        #expect(configuration.couplesNoiseByOptimalTransport)
        #expect(configuration.targetNetwork == .stopGradient)
        guard case .cauchy = configuration.metric else {
            Issue.record("sLCT: metric is \(configuration.metric.name), METHODS §5 says Cauchy")
            return
        }
        #expect(configuration.adaptsMetricConstant)
        #expect(configuration.weighting == .inverseGridStep)
        let smallNoise = try #require(configuration.smallNoiseDiffusionLoss)
        #expect(smallNoise.quantile == 0.3)
        #expect(smallNoise.weight == 1)
        #expect(configuration.network.normalization == .layerNormWithoutScale)
    }

    @Test("sLCT's adaptive c follows the iCT curriculum, c_k = c_0 · N_0 / N(k): with c_0 = 0.00054·√2, N_0 = 11, c_K = c_0 · 11/1281")
    func adaptiveCauchyConstant() throws {
        let configuration = try Self.preset(.slct)
        let c0 = try #require(configuration.metric.constant)
        let curriculum = try #require(try Self.sampler(of: configuration) as? ImprovedConsistencyPairSampler)
        let adaptive = try AdaptiveHuberConstant(initialConstant: c0, curriculum: curriculum)
        #expect(adaptive.initialGridPointCount == 11)
        #expect(Self.isClose(adaptive.constant(iteration: 0, curriculum: curriculum), 0.0007636753236814714))
        // K′ = 100: N(100) = 21, so c = c_0 · 11/21.
        #expect(Self.isClose(adaptive.constant(iteration: 100, curriculum: curriculum), 0.0004000204076426755))
        #expect(Self.isClose(adaptive.constant(iteration: Self.steps, curriculum: curriculum), 6.557711600699599e-06))
    }

    // MARK: - PairSchedule defaults (§2)

    @Test("PairSchedule.consistencyModels() defaults: s0 2, s1 150, no fixed N, μ0 0.9, μ(k) divides by N(k) − 1")
    func consistencyModelsScheduleDefaults() {
        guard case let .consistencyModels(s0, s1, fixed, mu0, denominator) = PairSchedule.consistencyModels() else {
            Issue.record(".consistencyModels() is not the CM schedule")
            return
        }
        #expect(s0 == 2)
        #expect(s1 == 150)
        #expect(fixed == nil)
        #expect(mu0 == 0.9)
        #expect(denominator == .gridPointsMinusOne)
    }

    @Test("PairSchedule.improvedConsistency() defaults: s0 10, s1 1280, P_mean −1.1, P_std 2.0")
    func improvedConsistencyScheduleDefaults() {
        guard case let .improvedConsistency(s0, s1, mean, std) = PairSchedule.improvedConsistency() else {
            Issue.record(".improvedConsistency() is not the iCT schedule")
            return
        }
        #expect(s0 == 10)
        #expect(s1 == 1280)
        #expect(mean == -1.1)
        #expect(std == 2.0)
    }

    @Test("PairSchedule.consistencyTuning(progression:) defaults: q 2, P_mean −1.1, P_std 2.0, 8 stages",
          arguments: [ConsistencyTuningPairSampler.StageProgression.stepwise, .continuous])
    func consistencyTuningScheduleDefaults(progression: ConsistencyTuningPairSampler.StageProgression) {
        guard case let .consistencyTuning(p, q, mean, std, stages) = PairSchedule.consistencyTuning(progression: progression) else {
            Issue.record(".consistencyTuning(progression:) is not the ECT/SCT schedule")
            return
        }
        #expect(p == progression)
        #expect(q == 2)
        #expect(mean == -1.1)
        #expect(std == 2.0)
        #expect(stages == 8)
    }

    // MARK: - The samplers the presets build

    @Test("CT's sampler: Karras ρ = 7 on [0.002, 80], N(0) = 2, N(K) = 151, μ(0) = 0.81, μ(K) = 0.9^(1/75)")
    func consistencyTrainingSampler() throws {
        let sampler = try #require(try Self.sampler(of: Self.preset(.ct)) as? ConsistencyModelPairSampler)
        #expect(sampler.gridExponent == 7)
        #expect(sampler.minimumTime == 0.002)
        #expect(sampler.maximumTime == 80)
        #expect(sampler.totalIterations == Self.steps)
        #expect(sampler.emaRateDenominator == .gridPointsMinusOne)
        #expect(sampler.gridPointCount(iteration: 0) == 2)
        #expect(sampler.gridPointCount(iteration: Self.steps) == 151)
        // μ(0) = exp(2 · ln 0.9 / (2 − 1)) = 0.9² = 0.81; μ(K) = exp(2 · ln 0.9 / 150) = 0.9^(1/75).
        #expect(Self.isClose(sampler.emaRate(iteration: 0), 0.81))
        #expect(Self.isClose(sampler.emaRate(iteration: Self.steps), 0.9985961794038429))
        let grid = sampler.grid(iteration: 0)
        #expect(grid.ascending == [0.002, 80])
    }

    @Test("CD's sampler keeps N = 18 grid points at every iteration")
    func consistencyDistillationSampler() throws {
        let sampler = try #require(try Self.sampler(of: Self.preset(.cd)) as? ConsistencyModelPairSampler)
        #expect(sampler.fixedPointCount == 18)
        for iteration in [0, Self.steps / 2, Self.steps] {
            #expect(sampler.gridPointCount(iteration: iteration) == 18)
        }
    }

    @Test("iCT's and sLCT's sampler: N(0) = 11, K′ = K/8, N doubles to 21, 41, … and ends at N(K) = 1281",
          arguments: [ConsistencyMethod.ict, .slct])
    func improvedConsistencySampler(method: ConsistencyMethod) throws {
        let sampler = try #require(try Self.sampler(of: Self.preset(method)) as? ImprovedConsistencyPairSampler)
        #expect(sampler.gridExponent == 7)
        #expect(sampler.minimumTime == 0.002)
        #expect(sampler.maximumTime == 80)
        #expect(sampler.logMean == -1.1)
        #expect(sampler.logStandardDeviation == 2.0)
        // K′ = ⌊800 / (log₂⌊1280/10⌋ + 1)⌋ = ⌊800 / 8⌋ = 100.
        #expect(sampler.doublingPeriod == 100)
        #expect(sampler.gridPointCount(iteration: 0) == 11)
        #expect(sampler.gridPointCount(iteration: 99) == 11)
        #expect(sampler.gridPointCount(iteration: 100) == 21)
        #expect(sampler.gridPointCount(iteration: 200) == 41)
        #expect(sampler.gridPointCount(iteration: 700) == 1281)
        #expect(sampler.gridPointCount(iteration: Self.steps) == 1281)
    }

    @Test("ECT's and SCT's sampler: P_mean −1.1, P_std 2.0, d = K/8, q = 2, k = 8, b = 1; stepwise vs continuous stages",
          arguments: [ConsistencyMethod.ect, .sct])
    func consistencyTuningSampler(method: ConsistencyMethod) throws {
        let sampler = try #require(try Self.sampler(of: Self.preset(method)) as? ConsistencyTuningPairSampler)
        #expect(sampler.minimumTime == 0.002)
        #expect(sampler.maximumTime == 80)
        #expect(sampler.logMean == -1.1)
        #expect(sampler.logStandardDeviation == 2.0)
        #expect(sampler.iterationsPerStage == 100)
        #expect(sampler.mapping.shrinkBase == 2)
        #expect(sampler.mapping.smallTimeGapAmplitude == 8)
        #expect(sampler.mapping.smallTimeGapSharpness == 1)
        // Stage 0: r = max(0, 1 · (1 − ½ · (1 + 8 · sigmoid(−1)))) = 0 at t = 1 (a denoising loss).
        #expect(sampler.targetTime(time: 1, iteration: 0) == 0)
        // Stage 3 (iteration 300): r = 1 − 2⁻⁴ · (1 + 8 · sigmoid(−1)) = 0.8030292893150024.
        #expect(Self.isClose(sampler.targetTime(time: 1, iteration: 300), 0.8030292893150024))
        switch method {
        case .ect:
            #expect(sampler.stageProgression == .stepwise)
            #expect(sampler.stage(iteration: 350) == 3)
            #expect(Self.isClose(sampler.targetTime(time: 1, iteration: 350), 0.8030292893150024))
        default:
            #expect(sampler.stageProgression == .continuous)
            #expect(sampler.stage(iteration: 350) == 3.5)
            // r = 1 − 2^(−4.5) · (1 + 8 · sigmoid(−1)) = 0.8607206747795046.
            #expect(Self.isClose(sampler.targetTime(time: 1, iteration: 350), 0.8607206747795046))
        }
    }

    // MARK: - Diffusion pretraining (§7)

    @Test("diffusion pretraining draws t = exp(P_mean + P_std ξ) with P_mean = −1.2, P_std = 1.2; t_min 0.002; σ_d measured from the data")
    func diffusionPretrainingDefaults() throws {
        let configuration = DiffusionPretrainingConfiguration(steps: Self.steps, dimension: 2)
        #expect(configuration.logMean == -1.2)
        #expect(configuration.logStandardDeviation == 1.2)
        #expect(configuration.minimumTime == 0.002)
        #expect(configuration.dataStandardDeviation == nil)
        #expect(configuration.steps == Self.steps)
        #expect(configuration.network.dataDimension == 2)
    }

    // MARK: - Toolkit defaults METHODS.md leaves open

    /// METHODS.md names no batch size, no learning rate except ECT's, no optimizer for CD/CT/iCT/sLCT,
    /// no dropout rate for iCT ("dropout on") and no evaluation EMA rate. These expectations pin the
    /// toolkit's current choices so that a change is deliberate; the numbers come from the code.
    @Test("toolkit defaults not fixed by METHODS.md: batch 256, MLP 256 × 4, Adam 4e−4 (CD, CT), RAdam 1e−4 (iCT, SCT, sLCT), iCT dropout 0.3, evaluation EMA 0.999",
          arguments: ConsistencyMethod.allCases)
    func toolkitDefaultsLeftOpenByMethods(method: ConsistencyMethod) throws {
        let configuration = try Self.preset(method)
        #expect(configuration.batchSize == 256)
        #expect(configuration.network.width == 256)
        #expect(configuration.network.depth == 4)
        #expect(configuration.evaluationAverageRate == 0.999)
        #expect(configuration.warmupSteps == 0)
        #expect(configuration.learningRateDecay == .constant)
        #expect(configuration.gradientClipNorm == nil)
        #expect(configuration.dataStandardDeviation == nil)
        #expect(configuration.labelDropout == 0)
        switch method {
        case .cd, .ct:
            #expect(configuration.optimizer == .adam)
            #expect(configuration.learningRate == 4e-4)
        case .ict, .ect, .sct, .slct:
            #expect(configuration.optimizer == .radam)
            #expect(configuration.learningRate == 1e-4)
        }
        #expect(configuration.network.dropout == (method == .ict ? 0.3 : 0))
    }

    @Test("toolkit defaults of diffusion pretraining not fixed by METHODS.md: batch 256, lr 1e−3, evaluation EMA 0.999")
    func diffusionToolkitDefaults() {
        let configuration = DiffusionPretrainingConfiguration(steps: Self.steps, dimension: 2)
        #expect(configuration.batchSize == 256)
        #expect(configuration.learningRate == 1e-3)
        #expect(configuration.evaluationAverageRate == 0.999)
        #expect(configuration.warmupSteps == 0)
        #expect(configuration.learningRateDecay == .constant)
    }
}
