import Agents
import Environments
import Foundation
import NeuralNetworks
import Tensors
import Testing

/// The 8×8 digits of Experiments/Data (N × 64 in [−1, 1], labels 0–9).
func digitsDataset() throws -> EmpiricalDataset {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try EmpiricalDataset(contentsOf: root.appendingPathComponent("Experiments/Data/digits-8x8.h5").path)
}

/// A small digits U-Net: widths 8/16, 4 groups, 16 positional features, E = 32.
func smallDigitsUNet(classCount: Int = 0) -> TimeConditionedUNetConfiguration {
    TimeConditionedUNetConfiguration(height: 8, width: 8, channelWidths: [8, 16], blocksPerLevel: 1, groups: 4,
                                     embedding: .positional(features: 16, maxFrequency: 1000), embeddingWidth: 32,
                                     classCount: classCount)
}

@Suite("Learners with an image U-Net", .serialized)
struct ImageNetworkLearnerTests {
    /// The EDM loss mean_i (t_i² + σ²)/(t_i σ)² ‖D(x_i + t_i z_i, t_i) − x_i‖² on fixed points, noises and
    /// times (t = exp(−1.2 + 1.2 ξ) for fixed ξ): a deterministic measure of the denoiser.
    static func heldOutLoss(_ denoiser: PreconditionedNetwork, points: [Double], dimension d: Int) throws -> Double {
        let n = points.count / d, sigma = denoiser.preconditioning.dataStandardDeviation
        var noiseStream = RandomStream(seed: 41, purpose: "held-out-noise"), timeStream = RandomStream(seed: 41, purpose: "held-out-times")
        var noisy = points, times = [Double](repeating: 0, count: n)
        for i in 0..<n {
            times[i] = Foundation.exp(-1.2 + 1.2 * timeStream.nextNormal())
            for j in 0..<d { noisy[i * d + j] += times[i] * noiseStream.nextNormal() }
        }
        let output = try denoiser.evaluate(noisy, times: times)
        var total = 0.0
        for i in 0..<n {
            var squares = 0.0
            for j in 0..<d { let e = output[i * d + j] - points[i * d + j]; squares += e * e }
            total += (times[i] * times[i] + sigma * sigma) / (times[i] * sigma * times[i] * sigma) * squares
        }
        return total / Double(n)
    }

    @Test("EDM pretraining of a small U-Net on the digits lowers the held-out denoising loss by more than half in 300 steps")
    func diffusionLossFalls() throws {
        let digits = try digitsDataset()
        var configuration = DiffusionPretrainingConfiguration(steps: 300, unet: smallDigitsUNet())
        configuration.batchSize = 32
        configuration.seed = 3
        configuration.dataStandardDeviation = 0.5
        configuration.learningRate = 2e-3
        configuration.evaluationAverageRate = nil
        let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: digits)
        let heldOut = Array(digits.points[0..<(128 * 64)]).map { Double($0) }
        let before = try Self.heldOutLoss(pretrainer.network, points: heldOut, dimension: 64)
        for _ in 0..<configuration.steps {
            let report = try pretrainer.trainStep()
            try #require(!report.skipped && report.metrics["train/loss"]!.isFinite)
        }
        let after = try Self.heldOutLoss(pretrainer.network, points: heldOut, dimension: 64)
        print("U-Net diffusion pretraining on digits: held-out EDM loss \(before) → \(after)")
        #expect(after < 0.5 * before, "held-out loss \(before) → \(after)")
    }

    @Test("ECT with a U-Net tuned from a U-Net diffusion model runs with finite losses; its checkpoint reloads as the same U-Net")
    func consistencyTuningAndCheckpoint() throws {
        let digits = try digitsDataset()
        let unet = smallDigitsUNet()
        var pretraining = DiffusionPretrainingConfiguration(steps: 2, unet: unet)
        pretraining.batchSize = 8
        pretraining.dataStandardDeviation = 0.5
        let pretrainer = try DiffusionPretrainer(configuration: pretraining, distribution: digits)
        for _ in 0..<2 { _ = try pretrainer.trainStep() }
        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: 8, dimension: 64)
        configuration.unet = unet
        configuration.batchSize = 8
        configuration.seed = 4
        #expect(configuration.architecture == .unet(unet))
        let learner = try ConsistencyLearner(configuration: configuration, distribution: digits, initial: try pretrainer.averagedNetwork())
        #expect(learner.online.architecture == .unet(unet))
        let start = learner.online.store.snapshotValues()
        for _ in 0..<3 {
            let report = try learner.trainStep()
            #expect(!report.skipped)
            #expect(report.metrics["train/loss"].map { loss in loss.isFinite && loss > 0 } == true)
        }
        #expect(learner.online.store.snapshotValues() != start)

        let folder = try temporaryFolder("unet-checkpoint")
        let path = folder + "/step.h5"
        try CheckpointFile.write(learner.checkpoint(), to: path)
        let loaded = try CheckpointFile.read(from: path)
        #expect(try loaded.networkArchitecture() == .unet(unet))
        let rebuilt = try PreconditionedNetwork(architecture: loaded.networkArchitecture(), seed: 77,
                                                preconditioning: learner.online.preconditioning)
        try loaded.restore(into: rebuilt.store, path: path)
        #expect(rebuilt.network is TimeConditionedUNet)
        let points = Array(digits.points[0..<(4 * 64)]).map { Double($0) + 0.3 }
        let times = [0.01, 0.5, 3, 60]
        #expect(try rebuilt.evaluate(points, times: times) == learner.online.evaluate(points, times: times))
    }

    @Test("with class-conditional U-Nets, diffusion pretraining and ECT feed the data's labels: the null class row never changes")
    func labelsReachTheNetwork() throws {
        let digits = try digitsDataset()
        let unet = smallDigitsUNet(classCount: 10)
        var pretraining = DiffusionPretrainingConfiguration(steps: 3, unet: unet)
        pretraining.batchSize = 16
        pretraining.dataStandardDeviation = 0.5
        let pretrainer = try DiffusionPretrainer(configuration: pretraining, distribution: digits)
        func table(_ network: PreconditionedNetwork) throws -> [Float] {
            Array(network.store.values(of: try #require(network.store.entry(named: "classEmbedding.weight")).handle))
        }
        let initial = try table(pretrainer.network)
        for _ in 0..<3 { _ = try pretrainer.trainStep() }
        let pretrained = try table(pretrainer.network)
        #expect(Array(pretrained[(10 * 32)...]) == Array(initial[(10 * 32)...]), "the null row (label 10) must stay untouched")
        #expect(Array(pretrained[0..<(10 * 32)]) != Array(initial[0..<(10 * 32)]), "the rows of drawn labels must learn")

        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: 8, dimension: 64)
        configuration.unet = unet
        configuration.batchSize = 16
        configuration.evaluationAverageRate = nil
        let learner = try ConsistencyLearner(configuration: configuration, distribution: digits, initial: try pretrainer.averagedNetwork())
        let tuningStart = try table(learner.online)
        for _ in 0..<2 {
            let report = try learner.trainStep()
            #expect(report.metrics["train/loss"].map { loss in loss.isFinite } == true)
        }
        let tuned = try table(learner.online)
        #expect(Array(tuned[(10 * 32)...]) == Array(tuningStart[(10 * 32)...]))
        #expect(Array(tuned[0..<(10 * 32)]) != Array(tuningStart[0..<(10 * 32)]))
        // Evaluation takes labels too; an unknown class is refused with a message.
        let point = Array(digits.points[0..<64]).map { Double($0) }
        #expect(try learner.online.evaluate(point, times: [1], labels: [3]) != learner.online.evaluate(point, times: [1], labels: [7]))
        #expect(try learner.online.evaluate(point, times: [1]) == learner.online.evaluate(point, times: [1], labels: [10]))
        #expect(throws: TensorError.self) { _ = try learner.online.evaluate(point, times: [1], labels: [11]) }
    }

    @Test("mismatched image networks and data fail before training with a message naming the problem")
    func badInput() throws {
        let digits = try digitsDataset()
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return ""
        }
        // A class-conditional network on unlabelled data.
        let unlabelled = try EmpiricalDataset(points: Array(digits.points[0..<(64 * 20)]), dimension: 64)
        var conditional = DiffusionPretrainingConfiguration(steps: 2, unet: smallDigitsUNet(classCount: 10))
        conditional.dataStandardDeviation = 0.5
        #expect(message { _ = try DiffusionPretrainer(configuration: conditional, distribution: unlabelled) }.contains("needs labelled data"))
        // More classes in the data than in the network.
        var tooFew = DiffusionPretrainingConfiguration(steps: 2, unet: smallDigitsUNet(classCount: 5))
        tooFew.dataStandardDeviation = 0.5
        #expect(message { _ = try DiffusionPretrainer(configuration: tooFew, distribution: digits) }.contains("set classCount ≥ 10"))
        // A U-Net of the wrong image size.
        var wrongSize = smallDigitsUNet()
        wrongSize.height = 16
        var sized = DiffusionPretrainingConfiguration(steps: 2, unet: wrongSize)
        sized.dataStandardDeviation = 0.5
        #expect(message { _ = try DiffusionPretrainer(configuration: sized, distribution: digits) }.contains("dimension is 128"))
        // ECT from an MLP diffusion model into a U-Net consistency model.
        var mlpPretraining = DiffusionPretrainingConfiguration(steps: 2, dimension: 64, width: 16, depth: 2)
        mlpPretraining.dataStandardDeviation = 0.5
        let mlp = try DiffusionPretrainer(configuration: mlpPretraining, distribution: digits)
        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: 8, dimension: 64)
        configuration.unet = smallDigitsUNet()
        configuration.dataStandardDeviation = 0.5
        #expect(message { _ = try ConsistencyLearner(configuration: configuration, distribution: digits, initial: mlp.network) }
            .contains("does not match the configured one (U-Net (1×8×8"))
        // Invalid U-Net settings are caught by validate().
        configuration.unet?.groups = 3
        #expect(message { try configuration.validate() }.contains("multiple of the 3 GroupNorm groups"))
    }

    @Test("network settings survive JSON for both architectures; settings without an architecture field are an MLP")
    func networkSettingsRoundTrip() throws {
        let architectures: [TimeConditionedNetworkArchitecture] = [
            .mlp(TimeConditionedMLPConfiguration(dataDimension: 3, width: 32, depth: 2, embedding: .fourier(features: 8, scale: 16),
                                                 activation: .gelu, dropout: 0.25, normalization: .layerNormWithoutScale)),
            .unet(smallDigitsUNet(classCount: 10)),
            .unet(TimeConditionedUNetConfiguration(imageChannels: 3, height: 16, width: 16, channelWidths: [8, 16, 16], blocksPerLevel: 2,
                                                   groups: 4, dropout: 0.1)),
        ]
        for architecture in architectures {
            let text = try JSONSerialization.data(withJSONObject: ["network": architecture.settings])
            let checkpoint = Checkpoint(step: 0, method: "ect", seed: 0, configuration: String(decoding: text, as: UTF8.self), parameters: [])
            #expect(try checkpoint.networkArchitecture() == architecture)
        }
        let legacy = Checkpoint(step: 0, method: "ect", seed: 0,
                                configuration: #"{"network": {"dimension": 2, "width": 16, "depth": 3, "normalization": "layerNorm"}}"#,
                                parameters: [])
        #expect(try legacy.networkArchitecture() == .mlp(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 3, normalization: .layerNorm)))
        let unknown = Checkpoint(step: 0, method: "ect", seed: 0, configuration: #"{"network": {"architecture": "transformer"}}"#, parameters: [])
        #expect(throws: AgentError.self) { _ = try unknown.networkArchitecture() }
    }
}
