import Agents
import Analysis
import Environments
import Tensors
import Testing

/// Training works, measured on the 2-D ring of 8 Gaussians (std 0.1, radius 2) with 1-step samples:
/// mode coverage and the mean exact negative log-likelihood under the true density against the data's
/// own (Experiments/RingOfEight prints the same table). Seeds are fixed; an untrained network fails
/// every threshold here (its 1-step samples collapse near the origin: coverage 0–2 of 8 and NLL > 100).
@Suite("Training quality on the ring of 8", .serialized)
struct TrainingQualityTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
    static let steps = 4000

    /// The diffusion model every tuning test starts from and CD's teacher (pretrained once per test
    /// process): the tuned toy recipe of Experiments/RingOfEight — 8000 steps, batch 512, lr 2·10⁻³ with a
    /// cosine decay to 5% (its 18-step Heun samples: gap +0.12 nat there).
    nonisolated(unsafe) static let teacher: PreconditionedNetwork = {
        var configuration = DiffusionPretrainingConfiguration(steps: 8000, dimension: 2, width: 128, depth: 3)
        configuration.batchSize = 512
        configuration.learningRate = 2e-3
        configuration.learningRateDecay = .cosine(finalFraction: 0.05)
        let pretrainer = try! DiffusionPretrainer(configuration: configuration, distribution: ring)
        for _ in 0..<configuration.steps { _ = try! pretrainer.trainStep() }
        return try! pretrainer.averagedNetwork()
    }()

    static func quality(_ model: some ConsistencyFunction, maximumTime: Double = 80) throws -> GaussianMixtureSampleQuality {
        var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
        let samples = try ConsistencySampler(model: model, maximumTime: maximumTime).sample(count: 4096, stream: &stream)
        var dataStream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
        return try GaussianMixtureSampleQuality(samples: samples, mixture: ring, dataSampleCount: 20_000, stream: &dataStream)
    }

    /// Trains `method` on the ring (MLP 128×3, no dropout, batch 512, lr 10⁻³) and returns the 1-step
    /// sample quality of the initial and the EMA network. `toyRecipe` adds the tuned toy settings of
    /// Experiments/RingOfEight: a cosine decay to 5% and t_max = 20 (σ_d ≈ 1.4, so 20 z is pure noise).
    static func train(_ method: ConsistencyMethod, steps: Int = steps, toyRecipe: Bool = false,
                      adjust: (inout ConsistencyTrainingConfiguration) -> Void = { _ in }) throws
        -> (initial: GaussianMixtureSampleQuality, final: GaussianMixtureSampleQuality) {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: 2)
        configuration.network.width = 128
        configuration.network.depth = 3
        configuration.network.dropout = 0
        configuration.batchSize = 512
        configuration.learningRate = 1e-3
        if toyRecipe {
            configuration.learningRateDecay = .cosine(finalFraction: 0.05)
            configuration.maximumTime = 20
        }
        adjust(&configuration)
        let learner = try ConsistencyLearner(configuration: configuration, distribution: ring,
                                             initial: method.startsFromDiffusionModel ? teacher : nil,
                                             teacher: method == .cd ? teacher : nil)
        let initial = try quality(learner.online, maximumTime: configuration.maximumTime)
        for _ in 0..<steps { _ = try learner.trainStep() }
        let final = try quality(try learner.averagedNetwork(), maximumTime: configuration.maximumTime)
        // The measured values, for the CI log: thresholds are read against them.
        print("training quality: \(method), \(steps) steps: 1-step NLL gap \(initial.negativeLogLikelihoodGap ?? .nan) → "
              + "\(final.negativeLogLikelihoodGap ?? .nan), \(final.coveredModeCount)/8 modes")
        return (initial, final)
    }

    /// ECT's toy recipe of Experiments/RingOfEight on top of a preset: batch 1024, an EMA target network
    /// (μ = 0.99, as CD's) instead of the stop-gradient, sLCT's Cauchy metric with c = 0.03 (mode-seeking
    /// where the conditional target is bimodal) and a uniform pair weight.
    static func applyECTToyRecipe(_ configuration: inout ConsistencyTrainingConfiguration) {
        configuration.batchSize = 1024
        configuration.targetNetwork = .ema(rate: 0.99)
        configuration.metric = .cauchy(c: 0.03)
        configuration.weighting = .uniform
    }

    /// The issue-5 goal: 8/8 modes and a 1-step NLL within 1 nat of the data's, from an initial network
    /// (named in the message) that fails it by far.
    static func expectWithinOneNat(initial: GaussianMixtureSampleQuality, final: GaussianMixtureSampleQuality,
                                   initialNetwork: String) {
        #expect(final.coveredModeCount == 8, "\(final)")
        #expect((initial.negativeLogLikelihoodGap ?? .infinity) > 10, "\(initialNetwork) must fail the threshold: \(initial)")
        #expect((final.negativeLogLikelihoodGap ?? .infinity) < 1.0, "\(final)")
    }

    @Test("the pretrained diffusion model's 18-step Heun samples cover 8/8 modes within 0.5 nat of the data")
    func diffusionTeacher() throws {
        var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
        let samples = try EDMHeunSampler(denoiser: Self.teacher, dimension: 2).sample(count: 4096, stream: &stream)
        var dataStream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
        let quality = try GaussianMixtureSampleQuality(samples: samples, mixture: Self.ring, dataSampleCount: 20_000, stream: &dataStream)
        #expect(quality.coveredModeCount == 8)
        #expect((quality.negativeLogLikelihoodGap ?? .infinity) < 0.5, "\(quality)")
    }

    /// CD with the toy recipe of Experiments/RingOfEight (its "CD, batch 512" row: +0.867 there): Heun
    /// teacher on the N = 18 grid, 20 000 steps of batch 512.
    @Test("CD distils the teacher: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func consistencyDistillation() throws {
        let (initial, final) = try Self.train(.cd, steps: 20_000, toyRecipe: true)
        Self.expectWithinOneNat(initial: initial, final: final, initialNetwork: "the initial student (the diffusion model)")
    }

    /// ECT tuned from the diffusion model with the toy recipe of Experiments/RingOfEight: ECT's
    /// conditional transitions, pair schedule (q = 2, 8 stages) and tuning start, with three toy
    /// overrides of the paper preset — an EMA target network (μ = 0.99, as CD's) instead of the
    /// stop-gradient, sLCT's Cauchy metric with c = 0.03 instead of pseudo-Huber c = 0 (mode-seeking
    /// where the conditional target is bimodal), and a uniform pair weight — batch 1024, 40 000 steps.
    /// At 20 000 steps this recipe sits at the threshold (RingOfEight, one BLAS thread, seeds 0/1/2:
    /// +0.92, +1.04, +0.97; this test on two threads: +0.999); at 40 000 steps RingOfEight gave +0.76
    /// and +0.68 for seeds 1 and 2, and this test (seed 0) +0.714 on one build machine and +0.782 on another
    /// (the same commit: the last bits of a run depend on the machine's OpenBLAS kernels).
    @Test("ECT tunes the diffusion model: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func easyConsistencyTuning() throws {
        let (initial, final) = try Self.train(.ect, steps: 40_000, toyRecipe: true) { configuration in
            Self.applyECTToyRecipe(&configuration)
        }
        Self.expectWithinOneNat(initial: initial, final: final, initialNetwork: "the initial network (the diffusion model)")
    }

    /// SCT tuned from the diffusion model: SCT's score identity over the minibatch (its own references:
    /// no extra pool), smooth stages of ECT's mapping and tuning start, with ECT's toy recipe (EMA target
    /// μ = 0.99, Cauchy c = 0.03, uniform weight, batch 1024) and 4-step TD targets — four score-identity
    /// transitions along the pair schedule's path, then the bootstrap — for 80 000 steps. RingOfEight
    /// (seed 0, one BLAS thread): TD(0) gives +2.08 at 20 000 steps, +1.36 at 40 000 and +1.05 at 80 000;
    /// 4-step targets +1.47, +1.05 and +0.75 (Experiments/README.md).
    @Test("SCT tunes the diffusion model: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func stableConsistencyTuning() throws {
        let (initial, final) = try Self.train(.sct, steps: 80_000, toyRecipe: true) { configuration in
            Self.applyECTToyRecipe(&configuration)
            configuration.target = .nStep(4)
        }
        Self.expectWithinOneNat(initial: initial, final: final, initialNetwork: "the initial network (the diffusion model)")
    }

    /// iCT trained from scratch: iCT's log-normal pairs and doubling curriculum (s₀ = 10, s₁ = 160 on
    /// this toy) and conditional targets, with ECT's toy recipe (EMA target μ = 0.99, Cauchy c = 0.03,
    /// uniform weight, batch 1024) for 80 000 steps. RingOfEight (seed 0, one BLAS thread): +2.15 at
    /// 20 000 steps, +1.52 at 40 000, +0.65 (its 0.999 EMA: +0.75) at 80 000 (Experiments/README.md).
    @Test("iCT trains from scratch: 8/8 modes, 1-step NLL within 1 nat of the data's")
    func improvedConsistencyTraining() throws {
        let (initial, final) = try Self.train(.ict, steps: 80_000, toyRecipe: true) { configuration in
            Self.applyECTToyRecipe(&configuration)
            configuration.pairs = .improvedConsistency(finalScale: 160)
        }
        Self.expectWithinOneNat(initial: initial, final: final, initialNetwork: "the initial network (untrained)")
    }

    @Test("CT (original) runs and improves on its initial likelihood")
    func consistencyTraining() throws {
        let (initial, final) = try Self.train(.ct)
        let before = initial.negativeLogLikelihoodGap ?? .infinity, after = final.negativeLogLikelihoodGap ?? .infinity
        #expect(after < before, "gap \(before) → \(after)")
    }
}
