// Trains every method of the toolkit on the 2-D ring of 8 Gaussians (std 0.1, radius 2) and prints,
// for 1-step samples, the mean exact negative log-likelihood, the data's own, and mode coverage.
//
//     swift run -c release RingOfEight [steps-scale]
//
// A diffusion model is pretrained first (EDM), then CD distils it, ECT and SCT tune it, and CT, iCT
// and sLCT train from scratch — the toy versions of every preset, with the settings the end-to-end
// tests use (Tests/EndToEndTests/TrainingAcceptanceTests.swift).
import Agents
import Environments
import Foundation
import Tensors

func meanNegativeLogLikelihood(_ samples: [Double], _ mixture: GaussianMixture) -> (nll: Double, modes: Int) {
    let count = samples.count / 2
    var logDensity = [Double](repeating: 0, count: count)
    samples.withUnsafeBufferPointer { x in
        logDensity.withUnsafeMutableBufferPointer { mixture.logDensity(x.baseAddress!, count: count, time: 0, into: $0.baseAddress!) }
    }
    var hits = [Int](repeating: 0, count: mixture.componentCount)
    for i in 0..<count {
        var best = 0, bestDistance = Double.infinity
        for k in 0..<mixture.componentCount {
            let m = mixture.mean(ofComponent: k)
            let distance = (samples[2 * i] - m[0]) * (samples[2 * i] - m[0]) + (samples[2 * i + 1] - m[1]) * (samples[2 * i + 1] - m[1])
            if distance < bestDistance { bestDistance = distance; best = k }
        }
        hits[best] += 1
    }
    let covered = hits.filter { Double($0) >= 0.01 * Double(count) }.count
    return (-logDensity.reduce(0, +) / Double(count), covered)
}

func oneStepSamples(_ model: PreconditionedNetwork, count: Int, maximumTime: Double) throws -> [Double] {
    var stream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    var noise = [Double](repeating: 0, count: count * 2)
    noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
    return try model.consistency(noise.map { $0 * maximumTime }, time: maximumTime)
}

func report(_ name: String, _ model: PreconditionedNetwork, _ mixture: GaussianMixture, dataNLL: Double, seconds: Double) throws {
    let samples = try oneStepSamples(model, count: 4096, maximumTime: 80)
    let (nll, modes) = meanNegativeLogLikelihood(samples, mixture)
    print(String(format: "%-6@ NLL %7.3f (data %.3f, gap %+.3f)  modes %d/8  %.1f s", name as NSString, nll, dataNLL, nll - dataNLL, modes, seconds))
}

func train(_ learner: some TrainingLearner, steps: Int) throws -> Double {
    let start = Date()
    for _ in 0..<steps { _ = try learner.trainStep() }
    return Date().timeIntervalSince(start)
}

func main() throws {
    let scale = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 1 : 1
    let only = CommandLine.arguments.count > 2 ? CommandLine.arguments[2].split(separator: ",").map(String.init) : nil
    let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
    var stream = RandomStream(seed: 7, purpose: "data-reference", index: 0)
    let data = mixture.sample(count: 4096, stream: &stream)
    let dataNLL = meanNegativeLogLikelihood(data, mixture).nll
    let width = 128, depth = 3

    var diffusionConfiguration = DiffusionPretrainingConfiguration(steps: Int(4000 * scale), dimension: 2, width: width, depth: depth)
    diffusionConfiguration.batchSize = 512
    diffusionConfiguration.learningRate = 2e-3
    let diffusion = try DiffusionPretrainer(configuration: diffusionConfiguration, distribution: mixture)
    let seconds = try train(diffusion, steps: diffusionConfiguration.steps)
    let teacher = try diffusion.averagedNetwork()
    var heunStream = RandomStream(seed: 99, purpose: "evaluation", index: 0)
    let heun = try EDMHeunSampler(denoiser: teacher, dimension: 2).sample(count: 4096, stream: &heunStream)
    let (heunNLL, heunModes) = meanNegativeLogLikelihood(heun, mixture)
    print(String(format: "EDM Heun-18 NLL %7.3f (gap %+.3f) modes %d/8  %.1f s", heunNLL, heunNLL - dataNLL, heunModes, seconds))

    for method in ConsistencyMethod.allCases where only == nil || only!.contains(method.rawValue) {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: Int(4000 * scale), dimension: 2)
        configuration.network.width = width
        configuration.network.depth = depth
        configuration.network.dropout = 0
        configuration.batchSize = 512
        configuration.learningRate = 1e-3
        let initial = method.startsFromDiffusionModel ? teacher : nil
        let learner = try ConsistencyLearner(configuration: configuration, distribution: mixture, initial: initial,
                                             teacher: method == .cd ? teacher : nil)
        let seconds = try train(learner, steps: configuration.steps)
        try report(method.rawValue, learner.online, mixture, dataNLL: dataNLL, seconds: seconds)
        try report(method.rawValue + "-ema", try learner.averagedNetwork(), mixture, dataNLL: dataNLL, seconds: seconds)
    }
}

try main()
