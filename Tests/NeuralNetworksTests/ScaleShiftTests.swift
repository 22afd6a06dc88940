import NeuralNetworks
import Tensors
import Testing

@Suite("ScaleShift")
struct ScaleShiftTests {
    @Test("forward computes h ⊙ (1 + s) + t with (s, t) = e·W + b, broadcast over positions",
          arguments: [[2, 3, 2, 2], [3, 3]])
    func forwardFormula(featureShape: [Int]) throws {
        let store = ParameterStore(seed: 1)
        let film = try ScaleShift(channels: 3, conditionFeatures: 4, scope: store.root.child("film"))
        LayerTestSupport.randomizeParameters(store, seed: 2)
        let features = try LayerTestSupport.randomTensor(featureShape, seed: 3)
        let condition = try LayerTestSupport.randomTensor([featureShape[0], 4], seed: 4)
        let output = try film(features, condition: condition)
        let weight = store.values(of: film.projection.weight), bias = store.values(of: film.projection.bias!)
        let positions = features.count / (featureShape[0] * 3)
        for b in 0..<featureShape[0] {
            for c in 0..<3 {
                var scale = Double(bias[c]), shift = Double(bias[3 + c])
                for e in 0..<4 {
                    scale += Double(condition[b, e]) * Double(weight[e * 6 + c])
                    shift += Double(condition[b, e]) * Double(weight[e * 6 + 3 + c])
                }
                for p in 0..<positions {
                    let index = (b * 3 + c) * positions + p
                    let expected = Double(features[index]) * (1 + scale) + shift
                    #expect(abs(Double(output[index]) - expected) < 1e-5)
                }
            }
        }
    }

    @Test("a zero projection is the identity")
    func zeroProjectionIsIdentity() throws {
        let film = try ScaleShift(channels: 2, conditionFeatures: 3, projectionInitializer: .zeros,
                                  scope: ParameterStore(seed: 5).root)
        let features = try LayerTestSupport.randomTensor([2, 2, 3, 3], seed: 6)
        let output = try film(features, condition: LayerTestSupport.randomTensor([2, 3], seed: 7))
        #expect(output.scalars == features.scalars)
    }

    @Test("parameter, feature and condition gradients match finite differences", arguments: [[2, 3, 3, 2], [4, 3]])
    func gradientsMatchFiniteDifferences(featureShape: [Int]) throws {
        let store = ParameterStore(seed: 8)
        let film = try ScaleShift(channels: 3, conditionFeatures: 5, scope: store.root.child("film"))
        LayerTestSupport.randomizeParameters(store, seed: 9)
        let features = try LayerTestSupport.randomTensor(featureShape, seed: 10)
        let condition = try LayerTestSupport.randomTensor([featureShape[0], 5], seed: 11)
        let reports = try LayerTestSupport.gradientReports(of: film, store: store, input: features, condition: condition)
        #expect(reports.parameters.relativeError < 1e-4, "\(reports.parameters)")
        #expect(reports.input.relativeError < 1e-4, "\(reports.input)")
        #expect(reports.condition.relativeError < 1e-4, "\(reports.condition)")
    }

    @Test("backward over the leading rows equals the backward of a forward on those rows only")
    func leadingRowsBackward() throws {
        let store = ParameterStore(seed: 12)
        let film = try ScaleShift(channels: 2, conditionFeatures: 3, scope: store.root.child("film"))
        LayerTestSupport.randomizeParameters(store, seed: 13)
        let features = try LayerTestSupport.randomTensor([5, 2, 3, 3], seed: 14)
        let condition = try LayerTestSupport.randomTensor([5, 3], seed: 15)
        let outputGradient = try LayerTestSupport.randomTensor([2, 2, 3, 3], seed: 16)

        store.zeroGradients()
        _ = try film(features, condition: condition)
        let partial = try film.backward(outputGradient)
        let partialInput = partial.input.copy(), partialCondition = partial.condition.copy()
        let partialParameters = store.snapshotGradients()

        store.zeroGradients()
        _ = try film(LayerTestSupport.leadingRows(features, 2), condition: LayerTestSupport.leadingRows(condition, 2))
        let direct = try film.backward(outputGradient)
        #expect(partialInput.shape == [2, 2, 3, 3])
        #expect(partialCondition.shape == [2, 3])
        #expect(LayerTestSupport.maximumRelativeDifference(partialInput.scalars, direct.input.scalars) < 1e-6)
        #expect(LayerTestSupport.maximumRelativeDifference(partialCondition.scalars, direct.condition.scalars) < 1e-5)
        #expect(LayerTestSupport.maximumRelativeDifference(partialParameters, store.snapshotGradients()) < 1e-5)
    }

    @Test("parameters live under the projection child scope")
    func parameterNames() throws {
        let store = ParameterStore(seed: 17)
        _ = try ScaleShift(channels: 4, conditionFeatures: 6, scope: store.root.child("block").child("film"))
        #expect(store.entries.map(\.name) == ["block.film.projection.weight", "block.film.projection.bias"])
        #expect(store.entries.map(\.shape) == [[6, 8], [8]])
    }

    @Test("invalid settings and mismatched shapes throw, naming both shapes")
    func invalidInputsThrow() throws {
        let scope = ParameterStore(seed: 18).root
        #expect(throws: TensorError.self) { try ScaleShift(channels: 0, conditionFeatures: 3, scope: scope.child("a")) }
        #expect(throws: TensorError.self) { try ScaleShift(channels: 3, conditionFeatures: 0, scope: scope.child("b")) }
        let film = try ScaleShift(channels: 3, conditionFeatures: 4, scope: scope.child("c"))
        let channelError = #expect(throws: TensorError.self) {
            try film(Tensor(zeros: [2, 4, 8, 8]), condition: Tensor(zeros: [2, 4]))
        }
        #expect(channelError?.description.contains("[2, 4, 8, 8]") == true)
        #expect(channelError?.description.contains("[2, 3, 8, 8]") == true, "\(String(describing: channelError))")
        let conditionError = #expect(throws: TensorError.self) {
            try film(Tensor(zeros: [2, 3, 8, 8]), condition: Tensor(zeros: [3, 4]))
        }
        #expect(conditionError?.description.contains("[3, 4]") == true)
        #expect(conditionError?.description.contains("[2, 4]") == true, "\(String(describing: conditionError))")
    }

    @Test("a repeated forward and backward allocates nothing")
    func steadyStateAllocatesNothing() throws {
        let film = try ScaleShift(channels: 8, conditionFeatures: 16, scope: ParameterStore(seed: 19).root)
        let features = try LayerTestSupport.randomTensor([4, 8, 4, 4], seed: 20)
        let condition = try LayerTestSupport.randomTensor([4, 16], seed: 21)
        let outputGradient = try LayerTestSupport.randomTensor([4, 8, 4, 4], seed: 22)
        let step = {
            _ = try film.forward(features, condition: condition, context: .evaluation)
            _ = try film.backward(outputGradient)
        }
        try step()
        #expect(try LayerTestSupport.toolkitAllocations(in: step) == 0)
    }
}
