import Foundation
import NeuralNetworks
import Tensors
import Testing

@Suite("Time embeddings and the time-conditioned MLP")
struct TimeConditionedMLPTests {
    @Test("positional features are sin/cos of c times geometric frequencies from 1 to the maximum")
    func positionalEmbedding() throws {
        let embedding = try TimeEmbedding(.positional(features: 8, maxFrequency: 1000), scope: ParameterStore(seed: 0).root)
        let c: [Float] = [-1.55, 0.3]
        var features = [Float](repeating: 0, count: 16)
        embedding.embed(c, rows: 2, into: &features, rowStride: 8, columnOffset: 0)
        for row in 0..<2 {
            for k in 0..<4 {
                let frequency = Foundation.pow(1000.0, Double(k) / 3)
                #expect(abs(Double(features[row * 8 + k]) - Foundation.sin(Double(c[row]) * frequency)) < 2e-4)
                #expect(abs(Double(features[row * 8 + 4 + k]) - Foundation.cos(Double(c[row]) * frequency)) < 2e-4)
            }
        }
        #expect(throws: TensorError.self) { try TimeEmbedding(.positional(features: 7, maxFrequency: 10), scope: ParameterStore(seed: 0).root) }
    }

    @Test("Fourier frequencies are frozen parameters: stored, never trained")
    func fourierEmbedding() throws {
        let store = ParameterStore(seed: 3)
        let embedding = try TimeEmbedding(.fourier(features: 6, scale: 16), scope: store.root.child("embedding"))
        let entry = try #require(store.entry(named: "embedding.frequencies"))
        #expect(!entry.trainable && !entry.decays && entry.shape == [3])
        var features = [Float](repeating: 0, count: 6)
        embedding.embed([0.25], rows: 1, into: &features, rowStride: 6, columnOffset: 0)
        let frequencies = store.values(of: entry.handle)
        #expect(abs(Double(features[1]) - Foundation.sin(2 * Double.pi * Double(frequencies[1]) * 0.25)) < 1e-4)
    }

    @Test("Fourier frequencies loaded into the store after the build take effect: seed 3's network loaded with seed 4's values is seed 4's network")
    func fourierFrequenciesFollowTheStore() throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2, embedding: .fourier(features: 8, scale: 16))
        let loaded = try TimeConditionedMLP(configuration, seed: 3), original = try TimeConditionedMLP(configuration, seed: 4)
        let input = try LayerTestSupport.randomTensor([3, 2], seed: 6)
        let conditioning = try Tensor(shape: [3], values: [-1.2, 0.1, 0.9])
        let before = try loaded.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        try loaded.store.loadValues(original.store.snapshotValues())
        let after = try loaded.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        let expected = try original.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        #expect(before != expected)
        #expect(after == expected)
    }

    @Test("the MLP's parameter gradients and input gradient match finite differences")
    func mlpGradients() throws {
        let network = try TimeConditionedMLP(
            TimeConditionedMLPConfiguration(dataDimension: 3, width: 16, depth: 3, embedding: .positional(features: 8, maxFrequency: 100)),
            seed: 5)
        network.computesInputGradient = true
        let input = try LayerTestSupport.randomTensor([4, 3], seed: 6)
        let conditioning = try Tensor(shape: [4], values: [-1.5, -0.2, 0.4, 1.1])
        let probe = try ProbeLoss(shape: [4, 3], seed: 7)
        let loss = { () throws -> Double in try probe.value(of: network.forward(input, noiseConditioning: conditioning, context: .evaluation)) }
        let parameters = try GradientChecker.checkParameters(of: network.store, maximumPerParameter: 24, loss: loss) {
            _ = try network.forward(input, noiseConditioning: conditioning, context: .evaluation)
            _ = try network.backward(probe.gradient)
        }
        #expect(parameters.relativeError < 5e-3, "\(parameters)")
        _ = try network.forward(input, noiseConditioning: conditioning, context: .evaluation)
        let inputGradient = try network.backward(probe.gradient).copy()
        let inputReport = try GradientChecker.checkInput(input, analyticGradient: inputGradient, loss: loss)
        #expect(inputReport.relativeError < 5e-3, "\(inputReport)")
    }

    @Test("with each hidden normalisation, parameter and input gradients match finite differences",
          arguments: TimeConditionedMLPConfiguration.Normalization.allCases)
    func normalizedMLPGradients(normalization: TimeConditionedMLPConfiguration.Normalization) throws {
        let network = try TimeConditionedMLP(
            TimeConditionedMLPConfiguration(dataDimension: 3, width: 16, depth: 3, embedding: .positional(features: 8, maxFrequency: 100),
                                            normalization: normalization),
            seed: 11)
        network.computesInputGradient = true
        // Move the norms' gains and biases off their initial 1 and 0 so their gradients are exercised in general position.
        var stream = RandomStream(seed: 12, purpose: "norm-parameters")
        for entry in network.store.entries where entry.name.hasPrefix("norms.") {
            let values = network.store.values(of: entry.handle)
            for i in values.indices { values[i] += 0.3 * (2 * stream.nextUniformFloat() - 1) }
        }
        let input = try LayerTestSupport.randomTensor([5, 3], seed: 13)
        let conditioning = try Tensor(shape: [5], values: [-1.5, -0.7, -0.2, 0.4, 1.1])
        let probe = try ProbeLoss(shape: [5, 3], seed: 14)
        let loss = { () throws -> Double in try probe.value(of: network.forward(input, noiseConditioning: conditioning, context: .evaluation)) }
        let parameters = try GradientChecker.checkParameters(of: network.store, maximumPerParameter: 24, loss: loss) {
            _ = try network.forward(input, noiseConditioning: conditioning, context: .evaluation)
            _ = try network.backward(probe.gradient)
        }
        #expect(parameters.relativeError < 5e-3, "\(parameters)")
        _ = try network.forward(input, noiseConditioning: conditioning, context: .evaluation)
        let inputGradient = try network.backward(probe.gradient).copy()
        let inputReport = try GradientChecker.checkInput(input, analyticGradient: inputGradient, loss: loss)
        #expect(inputReport.relativeError < 5e-3, "\(inputReport)")
    }

    @Test("normalisation adds norms.<i> parameters after the unchanged layers.<i> ones")
    func normalizationParameterNames() throws {
        func names(_ normalization: TimeConditionedMLPConfiguration.Normalization) throws -> [String] {
            let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 8, depth: 2, normalization: normalization)
            return try TimeConditionedMLP(configuration, seed: 0).store.entries.map { entry in entry.name }
        }
        let plain = try names(.none)
        #expect(!plain.contains { name in name.hasPrefix("norms.") })
        #expect(try names(.layerNorm) == plain + ["norms.0.gain", "norms.0.bias", "norms.1.gain", "norms.1.bias"])
        #expect(try names(.layerNormWithoutScale) == plain + ["norms.0.bias", "norms.1.bias"])
        // Same seed, same names ⇒ the shared parameters start equal whatever the normalisation.
        let a = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 8, depth: 2), seed: 4)
        let b = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 8, depth: 2, normalization: .layerNormWithoutScale), seed: 4)
        #expect(Array(b.store.snapshotValues()[0..<a.parameterCount]) == a.store.snapshotValues())
    }

    @Test("with LayerNorm after the first Linear, scaling its weight and bias by a positive constant leaves the output unchanged",
          arguments: [TimeConditionedMLPConfiguration.Normalization.layerNorm, .layerNormWithoutScale])
    func layerNormScaleInvariance(normalization: TimeConditionedMLPConfiguration.Normalization) throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2, normalization: normalization)
        let network = try TimeConditionedMLP(configuration, seed: 3)
        let input = try LayerTestSupport.randomTensor([6, 2], seed: 4)
        let conditioning = try LayerTestSupport.randomTensor([6], seed: 5)
        let before = try network.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        for name in ["layers.0.weight", "layers.0.bias"] {
            let values = network.store.values(of: try #require(network.store.entry(named: name)).handle)
            for i in values.indices { values[i] *= 4 }
        }
        let after = try network.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        for (x, y) in zip(before, after) { #expect(abs(x - y) < 1e-4 * (1 + abs(x))) }
        // Without normalisation the same scaling changes the output: the invariance is the LayerNorm's.
        let plain = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2), seed: 3)
        let plainBefore = try plain.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        let weights = plain.store.values(of: try #require(plain.store.entry(named: "layers.0.weight")).handle)
        for i in weights.indices { weights[i] *= 4 }
        let plainAfter = try plain.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        #expect(zip(plainBefore, plainAfter).contains { x, y in abs(x - y) > 1e-3 })
    }

    @Test("a normalised network with parallel lanes computes what it computes on one lane")
    func normalizedNetworkIgnoresLanes() throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, depth: 2, normalization: .layerNorm)
        let single = try TimeConditionedMLP(configuration, seed: 8), laned = try TimeConditionedMLP(configuration, seed: 8)
        let lanes = ParallelLanes(laneCount: 2)
        // One dispatch makes sure the worker thread has started: ParallelLanes' workers hold it unowned,
        // and a pool destroyed before its worker first runs would crash the worker.
        lanes.run(NoLaneWork())
        laned.lanes = lanes
        let input = try LayerTestSupport.randomTensor([7, 2], seed: 9)
        let conditioning = try LayerTestSupport.randomTensor([7], seed: 10)
        let gradient = try LayerTestSupport.randomTensor([7, 2], seed: 11)
        #expect(try single.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
                == laned.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars)
        _ = try single.backward(gradient)
        _ = try laned.backward(gradient)
        #expect(single.store.snapshotGradients() == laned.store.snapshotGradients())
    }

    @Test("the reference network has the layout of BENCHMARK.md §1")
    func referenceLayout() throws {
        let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 256), seed: 0)
        #expect(network.layers.map { [$0.inputCount, $0.outputCount] } == [[66, 256], [256, 256], [256, 256], [256, 256], [256, 2]])
        #expect(network.parameterCount == 66 * 256 + 256 + 3 * (256 * 256 + 256) + 256 * 2 + 2)
        #expect(network.store.entries.first!.name == "layers.0.weight")
        #expect(throws: TensorError.self) { try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 0), seed: 0) }
        #expect(throws: TensorError.self) {
            _ = try network.forward(try Tensor(zeros: [4, 3]), noiseConditioning: try Tensor(zeros: [4]), context: .evaluation)
        }
    }

    @Test("initial parameters depend only on the seed and the names")
    func deterministicInitialisation() throws {
        let configuration = TimeConditionedMLPConfiguration(dataDimension: 2, width: 32)
        let a = try TimeConditionedMLP(configuration, seed: 1), b = try TimeConditionedMLP(configuration, seed: 1)
        let c = try TimeConditionedMLP(configuration, seed: 2)
        #expect(a.store.snapshotValues() == b.store.snapshotValues())
        #expect(a.store.snapshotValues() != c.store.snapshotValues())
    }

    @Test("with dropout, a stacked online + target batch shares masks between its halves")
    func stackedDropout() throws {
        let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 2, width: 16, dropout: 0.3), seed: 1)
        let half = try LayerTestSupport.randomTensor([4, 2], seed: 2)
        let stacked = try Tensor(zeros: [8, 2])
        stacked.data.update(from: half.data, count: 8)
        (stacked.data + 8).update(from: half.data, count: 8)
        let conditioning = try Tensor(shape: [8], values: [0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4])
        let output = try network.forward(stacked, noiseConditioning: conditioning, context: .training(seed: 5, step: 3, maskPeriod: 4)).scalars
        #expect(Array(output[0..<8]) == Array(output[8..<16]))
        let unshared = try network.forward(stacked, noiseConditioning: conditioning, context: .training(seed: 5, step: 3)).scalars
        #expect(Array(unshared[0..<8]) != Array(unshared[8..<16]))
    }

    @Test("a training step (forward, backward, Adam) allocates nothing after the first step")
    func trainingStepIsAllocationFree() async {
        // In a child process (an exit test), because it sets OpenBLAS's process-wide thread count.
        await #expect(processExitsWith: .success) {
            let network = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 4, width: 64, dropout: 0.1), seed: 0)
            let optimizer = try Adam()
            let input = try LayerTestSupport.randomTensor([32, 4], seed: 1)
            let conditioning = try LayerTestSupport.randomTensor([32], seed: 2)
            let gradient = try LayerTestSupport.randomTensor([16, 4], seed: 3)
            var step: UInt64 = 0
            func trainingStep() throws {
                _ = try network.forward(input, noiseConditioning: conditioning, context: .training(seed: 0, step: step, maskPeriod: 16))
                network.store.zeroGradients()
                _ = try network.backward(gradient)
                try optimizer.step(network.store, learningRate: 1e-3)
                step += 1
            }
            try LayerTestSupport.exitWithAllocationVerdict(repetitions: 5, trainingStep)
        }
    }
}

/// Lane work that does nothing (used to wait until a pool's workers are running).
private final class NoLaneWork: LaneWork {
    func run(lane: Int, of laneCount: Int) {}
}
