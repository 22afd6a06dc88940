import Foundation
import NeuralNetworks
import Tensors
import Testing

@Suite("The time-conditioned U-Net")
struct TimeConditionedUNetTests {
    /// A small U-Net for gradient checks: widths 4/8…, 2 groups, 8 embedding features.
    static func smallConfiguration(height: Int, width: Int, channelWidths: [Int], classCount: Int = 0, dropout: Float = 0,
                                   imageChannels: Int = 1) -> TimeConditionedUNetConfiguration {
        TimeConditionedUNetConfiguration(imageChannels: imageChannels, height: height, width: width, channelWidths: channelWidths,
                                         blocksPerLevel: 1, groups: 2, embedding: .positional(features: 8, maxFrequency: 100),
                                         embeddingWidth: 8, classCount: classCount, dropout: dropout)
    }

    /// Moves every GroupNorm gain and bias and the class table off their initial values, so their
    /// gradients are checked in general position.
    static func perturbNormsAndClasses(_ store: ParameterStore, seed: UInt64) {
        var stream = RandomStream(seed: seed, purpose: "unet-test-parameters")
        for entry in store.entries where entry.name.contains("norm") || entry.name.hasPrefix("classEmbedding") {
            let values = store.values(of: entry.handle)
            for i in values.indices { values[i] += 0.3 * (2 * stream.nextUniformFloat() - 1) }
        }
    }

    /// Finite-difference reports of F's parameters and input under a probe loss.
    static func gradientReports(
        _ network: TimeConditionedUNet, batch: Int, labels: [Int32]?, context: ForwardContext
    ) throws -> (parameters: GradientCheckReport, input: GradientCheckReport) {
        network.computesInputGradient = true
        let input = try LayerTestSupport.randomTensor([batch, network.dataDimension], seed: 21)
        let conditioning = try LayerTestSupport.randomTensor([batch], seed: 22)
        let probe = try ProbeLoss(shape: [batch, network.dataDimension], seed: 23)
        func run() throws -> Tensor {
            if let labels {
                return try labels.withUnsafeBufferPointer { y in
                    try network.forward(input, noiseConditioning: conditioning, labels: y, context: context)
                }
            }
            return try network.forward(input, noiseConditioning: conditioning, labels: nil, context: context)
        }
        let loss = { () throws -> Double in try probe.value(of: run()) }
        let parameters = try GradientChecker.checkParameters(of: network.store, maximumPerParameter: 6, loss: loss) {
            _ = try run()
            _ = try network.backward(probe.gradient)
        }
        _ = try run()
        let inputGradient = try network.backward(probe.gradient).copy()
        let inputReport = try GradientChecker.checkInput(input, analyticGradient: inputGradient, maximumCount: 48, loss: loss)
        return (parameters, inputReport)
    }

    @Test("at 8×8, unconditional: parameter and input gradients match finite differences")
    func gradients8x8() throws {
        let network = try TimeConditionedUNet(Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8]), seed: 1)
        Self.perturbNormsAndClasses(network.store, seed: 2)
        let reports = try Self.gradientReports(network, batch: 2, labels: nil, context: .evaluation)
        #expect(reports.parameters.relativeError < 1e-2, "\(reports.parameters)")
        #expect(reports.input.relativeError < 1e-2, "\(reports.input)")
    }

    @Test("at 8×8, class-conditional with two channels: parameter and input gradients match finite differences")
    func gradients8x8Conditional() throws {
        let network = try TimeConditionedUNet(
            Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 3, imageChannels: 2), seed: 3)
        Self.perturbNormsAndClasses(network.store, seed: 4)
        let reports = try Self.gradientReports(network, batch: 3, labels: [2, 0, 3], context: .evaluation)
        #expect(reports.parameters.relativeError < 1e-2, "\(reports.parameters)")
        #expect(reports.input.relativeError < 1e-2, "\(reports.input)")
    }

    @Test("at 16×16 with three levels, unconditional with dropout: gradients match finite differences")
    func gradients16x16() throws {
        let network = try TimeConditionedUNet(
            Self.smallConfiguration(height: 16, width: 16, channelWidths: [4, 4, 8], dropout: 0.2), seed: 5)
        Self.perturbNormsAndClasses(network.store, seed: 6)
        let reports = try Self.gradientReports(network, batch: 2, labels: nil, context: .training(seed: 7, step: 3))
        #expect(reports.parameters.relativeError < 1e-2, "\(reports.parameters)")
        #expect(reports.input.relativeError < 1e-2, "\(reports.input)")
    }

    @Test("at 16×16 (8×16 rectangles too), class-conditional: gradients match finite differences",
          arguments: [[16, 16], [8, 16]])
    func gradients16x16Conditional(size: [Int]) throws {
        let network = try TimeConditionedUNet(
            Self.smallConfiguration(height: size[0], width: size[1], channelWidths: [4, 8], classCount: 4), seed: 8)
        Self.perturbNormsAndClasses(network.store, seed: 9)
        let reports = try Self.gradientReports(network, batch: 2, labels: [1, 4], context: .evaluation)
        #expect(reports.parameters.relativeError < 1e-2, "\(reports.parameters)")
        #expect(reports.input.relativeError < 1e-2, "\(reports.input)")
    }

    @Test("a backward over the leading rows of a stacked forward equals the backward of a forward over those rows alone")
    func leadingRowsBackward() throws {
        let configuration = Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 2)
        let network = try TimeConditionedUNet(configuration, seed: 10)
        let stacked = try LayerTestSupport.randomTensor([5, 64], seed: 11)
        let conditioning = try LayerTestSupport.randomTensor([5], seed: 12)
        let gradient = try LayerTestSupport.randomTensor([2, 64], seed: 13)
        let labels: [Int32] = [1, 0, 2, 1, 1]
        _ = try labels.withUnsafeBufferPointer { y in try network.forward(stacked, noiseConditioning: conditioning, labels: y, context: .evaluation) }
        network.store.zeroGradients()
        _ = try network.backward(gradient)
        let fromStacked = network.store.snapshotGradients()
        let leading = try LayerTestSupport.leadingRows(stacked, 2), leadingConditioning = try LayerTestSupport.leadingRows(conditioning, 2)
        _ = try Array(labels[0..<2]).withUnsafeBufferPointer { y in
            try network.forward(leading, noiseConditioning: leadingConditioning, labels: y, context: .evaluation)
        }
        network.store.zeroGradients()
        _ = try network.backward(gradient)
        #expect(LayerTestSupport.maximumRelativeDifference(fromStacked, network.store.snapshotGradients()) < 1e-5)
    }

    @Test("dropout masks are identical for identical stream keys, different for different keys, and shared across a stacked batch's halves")
    func dropoutMasks() throws {
        let network = try TimeConditionedUNet(Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], dropout: 0.3), seed: 14)
        let half = try LayerTestSupport.randomTensor([3, 64], seed: 15)
        let stacked = try Tensor(zeros: [6, 64])
        stacked.data.update(from: half.data, count: half.count)
        (stacked.data + half.count).update(from: half.data, count: half.count)
        let conditioning = try Tensor(shape: [6], values: [-1, 0.2, 0.7, -1, 0.2, 0.7])
        func run(_ context: ForwardContext) throws -> [Float] {
            try network.forward(stacked, noiseConditioning: conditioning, context: context).scalars
        }
        // Equal masks give equal outputs up to BLAS rounding (rows fall in different sgemm tiles); different
        // masks change the outputs by far more.
        func same(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Bool {
            LayerTestSupport.maximumRelativeDifference(Array(a), Array(b)) < 1e-5
        }
        func differ(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Bool {
            LayerTestSupport.maximumRelativeDifference(Array(a), Array(b)) > 1e-2
        }
        let first = try run(.training(seed: 5, step: 3, maskPeriod: 3))
        #expect(try run(.training(seed: 5, step: 3, maskPeriod: 3)) == first)
        #expect(same(first[0..<192], first[192..<384]))
        #expect(differ(try run(.training(seed: 5, step: 4, maskPeriod: 3))[...], first[...]))
        #expect(differ(try run(.training(seed: 6, step: 3, maskPeriod: 3))[...], first[...]))
        let unshared = try run(.training(seed: 5, step: 3))
        #expect(differ(unshared[0..<192], unshared[192..<384]))
        // Evaluation mode has no dropout: both halves agree and differ from any training pass.
        let evaluation = try run(.evaluation)
        #expect(same(evaluation[0..<192], evaluation[192..<384]) && differ(evaluation[...], first[...]))
    }

    @Test("no labels means the null class K; each real label changes the output")
    func classConditioning() throws {
        let network = try TimeConditionedUNet(Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 3), seed: 16)
        let one = try LayerTestSupport.randomTensor([1, 64], seed: 17)
        let input = try Tensor(zeros: [4, 64])
        for row in 0..<4 { (input.data + row * 64).update(from: one.data, count: 64) }
        let conditioning = try Tensor(shape: [4], values: [0.3, 0.3, 0.3, 0.3])
        let labelled = try [Int32]([0, 1, 2, 3]).withUnsafeBufferPointer { y in
            try network.forward(input, noiseConditioning: conditioning, labels: y, context: .evaluation).scalars
        }
        let unlabelled = try network.forward(input, noiseConditioning: conditioning, labels: nil, context: .evaluation).scalars
        #expect(Array(unlabelled[0..<64]) == Array(labelled[192..<256]))
        for a in 0..<4 {
            for b in (a + 1)..<4 { #expect(Array(labelled[(a * 64)..<(a * 64 + 64)]) != Array(labelled[(b * 64)..<(b * 64 + 64)])) }
        }
    }

    @Test("invalid settings and inputs fail with a message saying what is expected")
    func validation() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return ""
        }
        let base = Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8])
        var zeroWidth = base; zeroWidth.channelWidths = [4, 0]
        #expect(message { _ = try TimeConditionedUNet(zeroWidth, seed: 0) }.contains("must be > 0"))
        var noLevels = base; noLevels.channelWidths = []
        #expect(message { _ = try TimeConditionedUNet(noLevels, seed: 0) }.contains("at least one level"))
        var badGroups = base; badGroups.channelWidths = [4, 6]; badGroups.groups = 4
        #expect(message { _ = try TimeConditionedUNet(badGroups, seed: 0) }.contains("multiple of the 4 GroupNorm groups"))
        // One channel per group would normalise the conditioning away (it enters before GroupNorm₂).
        var singleChannelGroups = base; singleChannelGroups.channelWidths = [4, 8]; singleChannelGroups.groups = 4
        #expect(message { _ = try TimeConditionedUNet(singleChannelGroups, seed: 0) }.contains("at least two channels per GroupNorm group"))
        #expect(throws: TensorError.self) {
            try ConvResidualBlock(inputChannels: 4, outputChannels: 4, conditionFeatures: 2, groups: 4,
                                  scope: ParameterStore(seed: 0).root.child("block"))
        }
        var badSize = base; badSize.height = 6; badSize.channelWidths = [4, 4, 8]
        #expect(message { _ = try TimeConditionedUNet(badSize, seed: 0) }.contains("multiples of 4"))
        var noChannels = base; noChannels.imageChannels = 0
        #expect(message { _ = try TimeConditionedUNet(noChannels, seed: 0) }.contains("positive extents"))
        var badDropout = base; badDropout.dropout = 1
        #expect(message { _ = try TimeConditionedUNet(badDropout, seed: 0) }.contains("[0, 1)"))
        var negativeClasses = base; negativeClasses.classCount = -1
        #expect(message { _ = try TimeConditionedUNet(negativeClasses, seed: 0) }.contains("classCount"))

        let network = try TimeConditionedUNet(base, seed: 0)
        let conditioning = try Tensor(zeros: [2])
        #expect(message { _ = try network.forward(try Tensor(zeros: [2, 63]), noiseConditioning: conditioning, context: .evaluation) }
            .contains("1×8×8 images"))
        #expect(message {
            _ = try [Int32](repeating: 0, count: 2).withUnsafeBufferPointer { y in
                try network.forward(try Tensor(zeros: [2, 64]), noiseConditioning: conditioning, labels: y, context: .evaluation)
            }
        }.contains("unconditional"))
        let conditional = try TimeConditionedUNet(Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 3), seed: 0)
        #expect(message {
            _ = try [Int32]([1, 4]).withUnsafeBufferPointer { y in
                try conditional.forward(try Tensor(zeros: [2, 64]), noiseConditioning: conditioning, labels: y, context: .evaluation)
            }
        }.contains("label 4 at row 1 is not a class"))
    }

    @Test("parameter names are stable dotted paths and initial values depend only on the seed")
    func parameterNames() throws {
        let configuration = Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 2)
        let a = try TimeConditionedUNet(configuration, seed: 1), b = try TimeConditionedUNet(configuration, seed: 1)
        let c = try TimeConditionedUNet(configuration, seed: 2)
        let names = Set(a.store.entries.map { entry in entry.name })
        for name in ["embeddingLayers.0.weight", "embeddingLayers.1.bias", "classEmbedding.weight", "input.weight",
                     "down.0.blocks.0.conv1.weight", "down.0.downsample.weight", "down.1.blocks.0.skip.weight",
                     "middle.1.scaleShift.projection.weight", "up.1.blocks.1.norm1.gain", "up.1.upsample.weight",
                     "up.0.blocks.1.conv2.bias", "outputNorm.gain", "output.weight"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(a.store.entry(named: "classEmbedding.weight")?.shape == [3, 8])
        #expect(a.store.snapshotValues() == b.store.snapshotValues())
        #expect(a.store.snapshotValues() != c.store.snapshotValues())
        #expect(a.architecture == .unet(configuration) && a.dataDimension == 64 && a.classCount == 2)
        let rebuilt = try a.architecture.makeNetwork(seed: 1)
        #expect(rebuilt.store.snapshotValues() == a.store.snapshotValues())
    }

    @Test("the MLP behind the network protocol computes what it computes directly and refuses labels")
    func multilayerPerceptronConformance() throws {
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 3, width: 8, depth: 2), seed: 4)
        let network: any TimeConditionedNetwork = mlp
        let input = try LayerTestSupport.randomTensor([4, 3], seed: 5), conditioning = try LayerTestSupport.randomTensor([4], seed: 6)
        let direct = try mlp.forward(input, noiseConditioning: conditioning, context: .evaluation).scalars
        #expect(try network.forward(input, noiseConditioning: conditioning, labels: nil, context: .evaluation).scalars == direct)
        #expect(network.architecture == .mlp(mlp.configuration) && network.classCount == 0 && network.dataDimension == 3)
        #expect(throws: TensorError.self) {
            _ = try [Int32](repeating: 0, count: 4).withUnsafeBufferPointer { y in
                try network.forward(input, noiseConditioning: conditioning, labels: y, context: .evaluation)
            }
        }
    }

    @Test("a training step (forward over a stacked batch, backward, Adam) allocates nothing after the first step")
    func trainingStepIsAllocationFree() async {
        // In a child process (an exit test), because it sets OpenBLAS's process-wide thread count.
        await #expect(processExitsWith: .success) {
            let configuration = Self.smallConfiguration(height: 8, width: 8, channelWidths: [4, 8], classCount: 3, dropout: 0.1)
            let network = try TimeConditionedUNet(configuration, seed: 0)
            let optimizer = try Adam()
            let input = try LayerTestSupport.randomTensor([8, 64], seed: 1)
            let conditioning = try LayerTestSupport.randomTensor([8], seed: 2)
            let gradient = try LayerTestSupport.randomTensor([4, 64], seed: 3)
            let labels: [Int32] = [0, 1, 2, 3, 0, 1, 2, 3]
            var step: UInt64 = 0
            func trainingStep() throws {
                _ = try labels.withUnsafeBufferPointer { y in
                    try network.forward(input, noiseConditioning: conditioning, labels: y,
                                        context: .training(seed: 0, step: step, maskPeriod: 4))
                }
                network.store.zeroGradients()
                _ = try network.backward(gradient)
                try optimizer.step(network.store, learningRate: 1e-3)
                step += 1
            }
            try LayerTestSupport.exitWithAllocationVerdict(repetitions: 3, trainingStep)
        }
    }
}
