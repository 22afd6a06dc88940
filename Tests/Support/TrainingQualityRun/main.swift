// A test helper, not a tool: trains one recipe of the training-quality tests (Tests/EndToEndTests/
// TrainingQualityTests.swift) on the ring of 8 Gaussians, on one OpenBLAS thread, and prints one JSON
// line with the 1-step sample quality before and after. The tests run it as a child process, one per
// core at a time, so the trainings share the cores; they read the line and check the thresholds.
//
//     TrainingQualityRun teacher|cd|ect|sct|ict|ct
//
// `teacher` pretrains the diffusion model every tuning recipe starts from and reports its 18-step Heun
// samples (no initial values). Exit status 0 with the line, 2 for a bad argument, 1 for an error.
import Agents
import Analysis
import Environments
import Foundation
import Tensors

/// What the test reads: NLL gaps in nats (nil when undefined), covered modes of 8, of the samples
/// `sampler` draws ("1-step", or "18-step Heun" for the teacher).
struct TrainingQualityReport: Encodable {
    var recipe: String
    var steps: Int
    var sampler = "1-step"
    var initialGap: Double?
    var initialModes: Int?
    var finalGap: Double?
    var finalModes: Int
}

let ring = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

/// The diffusion model every tuning recipe starts from and CD's teacher: the tuned toy recipe of
/// Experiments/RingOfEight — 8000 steps, batch 512, lr 2·10⁻³ with a cosine decay to 5%, MLP 128×3.
func pretrainTeacher() throws -> PreconditionedNetwork {
    var configuration = DiffusionPretrainingConfiguration(steps: 8000, dimension: 2, width: 128, depth: 3)
    configuration.batchSize = 512
    configuration.learningRate = 2e-3
    configuration.learningRateDecay = .cosine(finalFraction: 0.05)
    let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: ring)
    for _ in 0..<configuration.steps { _ = try pretrainer.trainStep() }
    return try pretrainer.averagedNetwork()
}

/// Mode coverage and NLL gap of 4096 samples (evaluation stream seed 99) against 20 000 data samples.
func quality(of samples: [Double]) throws -> GaussianMixtureSampleQuality {
    var dataStream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
    return try GaussianMixtureSampleQuality(samples: samples, mixture: ring, dataSampleCount: 20_000, stream: &dataStream)
}

func oneStepQuality(_ model: some ConsistencyFunction, maximumTime: Double) throws -> GaussianMixtureSampleQuality {
    var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    return try quality(of: ConsistencySampler(model: model, maximumTime: maximumTime).sample(count: 4096, stream: &stream))
}

/// ECT's toy recipe of Experiments/RingOfEight on top of a preset: batch 1024, an EMA target network
/// (μ = 0.99, as CD's) instead of the stop-gradient, sLCT's Cauchy metric with c = 0.03 (mode-seeking
/// where the conditional target is bimodal) and a uniform pair weight.
func applyECTToyRecipe(_ configuration: inout ConsistencyTrainingConfiguration) {
    configuration.batchSize = 1024
    configuration.targetNetwork = .ema(rate: 0.99)
    configuration.metric = .cauchy(c: 0.03)
    configuration.weighting = .uniform
}

/// Trains `method` on the ring (MLP 128×3, no dropout, batch 512, lr 10⁻³; `toyRecipe` adds the tuned
/// toy settings of Experiments/RingOfEight: a cosine decay to 5% and t_max = 20, since σ_d ≈ 1.4 makes
/// 20 z pure noise) and reports the 1-step quality of the initial and of the EMA network.
func train(_ method: ConsistencyMethod, steps: Int, toyRecipe: Bool,
           adjust: (inout ConsistencyTrainingConfiguration) -> Void = { _ in }) throws -> TrainingQualityReport {
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
    let teacher = method.startsFromDiffusionModel || method == .cd ? try pretrainTeacher() : nil
    let learner = try ConsistencyLearner(configuration: configuration, distribution: ring,
                                         initial: method.startsFromDiffusionModel ? teacher : nil,
                                         teacher: method == .cd ? teacher : nil)
    let initial = try oneStepQuality(learner.online, maximumTime: configuration.maximumTime)
    for _ in 0..<steps { _ = try learner.trainStep() }
    let final = try oneStepQuality(try learner.averagedNetwork(), maximumTime: configuration.maximumTime)
    return TrainingQualityReport(recipe: "\(method)", steps: steps, initialGap: initial.negativeLogLikelihoodGap,
                                 initialModes: initial.coveredModeCount, finalGap: final.negativeLogLikelihoodGap,
                                 finalModes: final.coveredModeCount)
}

/// The recipes by name (see the tests' doc comments for what each one is and measured).
func run(_ recipe: String) throws -> TrainingQualityReport? {
    switch recipe {
    case "teacher":
        var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
        let samples = try EDMHeunSampler(denoiser: try pretrainTeacher(), dimension: 2).sample(count: 4096, stream: &stream)
        let heun = try quality(of: samples)
        return TrainingQualityReport(recipe: recipe, steps: 8000, sampler: "18-step Heun", finalGap: heun.negativeLogLikelihoodGap,
                                     finalModes: heun.coveredModeCount)
    case "cd":
        return try train(.cd, steps: 20_000, toyRecipe: true)
    case "ect":
        return try train(.ect, steps: 40_000, toyRecipe: true, adjust: applyECTToyRecipe)
    case "sct":
        return try train(.sct, steps: 80_000, toyRecipe: true) {
            applyECTToyRecipe(&$0)
            $0.target = .nStep(4)
        }
    case "ict":
        return try train(.ict, steps: 80_000, toyRecipe: true) {
            applyECTToyRecipe(&$0)
            $0.pairs = .improvedConsistency(finalScale: 160)
        }
    case "ct":
        return try train(.ct, steps: 4000, toyRecipe: false)
    default:
        return nil
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: TrainingQualityRun teacher|cd|ect|sct|ict|ct\n".utf8))
    exit(2)
}
BLASRuntime.threadCount = 1
do {
    guard let report = try run(arguments[1]) else {
        FileHandle.standardError.write(Data("TrainingQualityRun: unknown recipe '\(arguments[1])'; expected teacher, cd, ect, sct, ict or ct\n".utf8))
        exit(2)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(report), as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("TrainingQualityRun \(arguments[1]): \(error)\n".utf8))
    exit(1)
}
