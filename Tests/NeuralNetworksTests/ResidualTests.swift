import NeuralNetworks
import Tensors
import Testing

@Suite("Residual and ConvResidualBlock")
struct ResidualTests {
    // MARK: Residual

    @Test("Residual computes x + body(x)")
    func residualForward() throws {
        let store = ParameterStore(seed: 1)
        let linear = try Linear(3, 3, scope: store.root.child("body").child(0))
        let residual = Residual([linear, SiLU()])
        let input = try LayerTestSupport.randomTensor([4, 3], seed: 2)
        let bodyOutput = try SiLU()(linear(input)).copy()
        let output = try residual(input)
        for i in 0..<output.count { #expect(abs(output[i] - (input[i] + bodyOutput[i])) < 1e-6) }
        #expect(try Residual([])(input).scalars == input.scalars.map { 2 * $0 })
    }

    @Test("Residual gradients match finite differences")
    func residualGradients() throws {
        let store = ParameterStore(seed: 3)
        let residual = Residual([
            try GroupNorm(channels: 4, groups: 2, scope: store.root.child("norm")),
            SiLU(),
            try Conv2D(inputChannels: 4, outputChannels: 4, kernelSize: 3, padding: 1, scope: store.root.child("conv")),
        ])
        LayerTestSupport.randomizeParameters(store, seed: 4)
        let input = try LayerTestSupport.randomTensor([2, 4, 3, 3], seed: 5)
        let reports = try LayerTestSupport.gradientReports(of: residual, store: store, input: input)
        #expect(reports.parameters!.relativeError < 1e-3, "\(reports.parameters!)")
        #expect(reports.input.relativeError < 1e-3, "\(reports.input)")
    }

    @Test("Residual backward over the leading rows equals the backward of a forward on those rows only")
    func residualLeadingRows() throws {
        let store = ParameterStore(seed: 6)
        let residual = Residual([
            try Linear(5, 5, activation: .silu, scope: store.root.child("a")),
            try LayerNorm(features: 5, mode: .nonScaling, scope: store.root.child("b")),
        ])
        LayerTestSupport.randomizeParameters(store, seed: 7)
        try NormalizationTests.expectLeadingRowsBackward(residual, store: store, inputShape: [6, 5], rows: 3)
    }

    @Test("Residual rejects a body that changes the shape, naming both shapes")
    func residualShapeMismatch() throws {
        let residual = Residual([try Linear(3, 2, scope: ParameterStore(seed: 8).root)])
        let error = #expect(throws: TensorError.self) { try residual(Tensor(zeros: [4, 3])) }
        #expect(error?.description.contains("[4, 2]") == true)
        #expect(error?.description.contains("[4, 3]") == true, "\(String(describing: error))")
    }

    // MARK: ConvResidualBlock

    @Test("ConvResidualBlock maps [B, C_in, H, W] to [B, C_out, H, W] and uses a 1×1 skip only when channels differ")
    func blockShapesAndParameters() throws {
        let store = ParameterStore(seed: 9)
        let widening = try ConvResidualBlock(inputChannels: 2, outputChannels: 4, conditionFeatures: 3, groups: 2,
                                             scope: store.root.child("widen"))
        let same = try ConvResidualBlock(inputChannels: 4, outputChannels: 4, conditionFeatures: 3, groups: 2,
                                         scope: store.root.child("same"))
        #expect(widening.skip != nil)
        #expect(same.skip == nil)
        let output = try widening(LayerTestSupport.randomTensor([2, 2, 5, 6], seed: 10),
                                  condition: LayerTestSupport.randomTensor([2, 3], seed: 11))
        #expect(output.shape == [2, 4, 5, 6])
        let names = store.entries.map(\.name)
        #expect(names.filter { $0.hasPrefix("widen.") } == [
            "widen.norm1.gain", "widen.norm1.bias", "widen.conv1.weight", "widen.conv1.bias",
            "widen.scaleShift.projection.weight", "widen.scaleShift.projection.bias",
            "widen.norm2.gain", "widen.norm2.bias", "widen.conv2.weight", "widen.conv2.bias",
            "widen.skip.weight", "widen.skip.bias",
        ])
        #expect(!names.contains("same.skip.weight"))
        #expect(store.entry(named: "widen.conv1.weight")?.shape == [4, 18])
    }

    @Test("ConvResidualBlock equals its chain of layers computed by hand")
    func blockForwardComposition() throws {
        let store = ParameterStore(seed: 12)
        let block = try ConvResidualBlock(inputChannels: 4, outputChannels: 4, conditionFeatures: 3, groups: 2,
                                          scope: store.root.child("block"))
        LayerTestSupport.randomizeParameters(store, seed: 13)
        let input = try LayerTestSupport.randomTensor([2, 4, 3, 3], seed: 14)
        let condition = try LayerTestSupport.randomTensor([2, 3], seed: 15)
        let output = try block(input, condition: condition).copy()
        // The same layers called one by one (they share the block's parameters).
        var h = try block.firstNorm(input)
        h = try SiLU()(h)
        h = try block.firstConvolution(h)
        h = try block.scaleShift(h, condition: condition)
        h = try block.secondNorm(h)
        h = try SiLU()(h)
        h = try block.secondConvolution(h)
        for i in 0..<output.count { #expect(abs(output[i] - (input[i] + h[i])) < 1e-5) }
    }

    @Test("ConvResidualBlock gradients (parameters, input, condition) match finite differences",
          arguments: [(2, 4), (4, 4)])
    func blockGradients(inputChannels: Int, outputChannels: Int) throws {
        let store = ParameterStore(seed: 16)
        let block = try ConvResidualBlock(inputChannels: inputChannels, outputChannels: outputChannels,
                                          conditionFeatures: 3, groups: 2, dropout: 0.25, scope: store.root.child("block"))
        LayerTestSupport.randomizeParameters(store, seed: 17, scale: 0.3)
        let input = try LayerTestSupport.randomTensor([2, inputChannels, 4, 3], seed: 18)
        let condition = try LayerTestSupport.randomTensor([2, 3], seed: 19)
        // Training mode: the dropout mask is fixed by the stream, so the loss is a smooth function.
        let context = ForwardContext.training(seed: 20, step: 3)
        let reports = try LayerTestSupport.gradientReports(of: block, store: store, input: input, condition: condition,
                                                           context: context, maximumPerParameter: 24)
        #expect(reports.parameters.relativeError < 2e-3, "\(reports.parameters)")
        #expect(reports.input.relativeError < 2e-3, "\(reports.input)")
        #expect(reports.condition.relativeError < 2e-3, "\(reports.condition)")
    }

    @Test("ConvResidualBlock backward over the leading rows equals the backward of a forward on those rows only")
    func blockLeadingRows() throws {
        let store = ParameterStore(seed: 21)
        let block = try ConvResidualBlock(inputChannels: 2, outputChannels: 4, conditionFeatures: 3, groups: 2,
                                          scope: store.root.child("block"))
        LayerTestSupport.randomizeParameters(store, seed: 22, scale: 0.3)
        let input = try LayerTestSupport.randomTensor([4, 2, 3, 3], seed: 23)
        let condition = try LayerTestSupport.randomTensor([4, 3], seed: 24)
        let outputGradient = try LayerTestSupport.randomTensor([2, 4, 3, 3], seed: 25)

        store.zeroGradients()
        _ = try block(input, condition: condition)
        let partial = try block.backward(outputGradient)
        let partialInput = partial.input.copy(), partialCondition = partial.condition.copy()
        let partialParameters = store.snapshotGradients()

        store.zeroGradients()
        _ = try block(LayerTestSupport.leadingRows(input, 2), condition: LayerTestSupport.leadingRows(condition, 2))
        let direct = try block.backward(outputGradient)
        #expect(partialInput.shape == [2, 2, 3, 3])
        #expect(LayerTestSupport.maximumRelativeDifference(partialInput.scalars, direct.input.scalars) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(partialCondition.scalars, direct.condition.scalars) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(partialParameters, store.snapshotGradients()) < 1e-5)
    }

    @Test("ConvResidualBlock rejects invalid settings and names both shapes on a mismatch")
    func blockInvalidInputs() throws {
        let scope = ParameterStore(seed: 26).root
        #expect(throws: TensorError.self) {
            try ConvResidualBlock(inputChannels: 3, outputChannels: 4, conditionFeatures: 2, groups: 2, scope: scope.child("a"))
        }
        #expect(throws: TensorError.self) {
            try ConvResidualBlock(inputChannels: 4, outputChannels: 4, conditionFeatures: 2, groups: 2, dropout: 1,
                                  scope: scope.child("b"))
        }
        let block = try ConvResidualBlock(inputChannels: 3, outputChannels: 6, conditionFeatures: 2, groups: 3,
                                          scope: scope.child("c"))
        let error = #expect(throws: TensorError.self) {
            try block(Tensor(zeros: [2, 4, 8, 8]), condition: Tensor(zeros: [2, 2]))
        }
        #expect(error?.description.contains("[2, 4, 8, 8]") == true)
        #expect(error?.description.contains("[2, 3, 8, 8]") == true, "\(String(describing: error))")
    }

    @Test("a repeated forward and backward allocates nothing")
    func steadyStateAllocatesNothing() throws {
        let store = ParameterStore(seed: 27)
        let block = try ConvResidualBlock(inputChannels: 4, outputChannels: 8, conditionFeatures: 6, groups: 2, dropout: 0.1,
                                          scope: store.root.child("block"))
        let residual = Residual([SiLU(), try Conv2D(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1,
                                                    scope: store.root.child("conv"))])
        let input = try LayerTestSupport.randomTensor([4, 4, 6, 6], seed: 28)
        let condition = try LayerTestSupport.randomTensor([4, 6], seed: 29)
        let outputGradient = try LayerTestSupport.randomTensor([2, 8, 6, 6], seed: 30)
        let context = ForwardContext.training(seed: 31, step: 0)
        let step = {
            let h = try block.forward(input, condition: condition, context: context)
            _ = try residual.forward(h, context: context)
            let g = try residual.backward(outputGradient)
            _ = try block.backward(g)
        }
        try step()
        #expect(try LayerTestSupport.toolkitAllocations(in: step) == 0)
    }
}
