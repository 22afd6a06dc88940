import NeuralNetworks
import Tensors
import Testing

@Suite("GroupNorm and LayerNorm")
struct NormalizationTests {
    /// Mean and population variance of `count` floats in Double.
    static func moments(_ pointer: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        var sum = 0.0
        for i in 0..<count { sum += Double(pointer[i]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in 0..<count { squares += (Double(pointer[i]) - mean) * (Double(pointer[i]) - mean) }
        return (mean, squares / Double(count))
    }

    // MARK: GroupNorm

    @Test("GroupNorm output has mean 0 and variance 1 per sample and group before the affine map",
          arguments: [[3, 6, 5, 4], [4, 6], [2, 24]])
    func groupNormStatistics(shape: [Int]) throws {
        let groups = 3
        let norm = try GroupNorm(channels: shape[1], groups: groups, scope: ParameterStore(seed: 1).root.child("norm"))
        // An offset and a large scale, so a missing centring or scaling shows.
        let input = try LayerTestSupport.randomTensor(shape, seed: 2, scale: 4)
        for i in 0..<input.count { input.data[i] += 10 }
        let output = try norm(input)
        let groupSize = output.count / (shape[0] * groups)
        for segment in 0..<(shape[0] * groups) {
            let (mean, variance) = Self.moments(output.data + segment * groupSize, count: groupSize)
            let inputVariance = Self.moments(input.data + segment * groupSize, count: groupSize).variance
            #expect(abs(mean) < 1e-5)
            // Exactly 1 but for ε: σ²/(σ² + ε).
            #expect(abs(variance - inputVariance / (inputVariance + 1e-5)) < 1e-4)
        }
    }

    @Test("GroupNorm applies its per-channel gain and bias after normalising")
    func groupNormAffine() throws {
        let store = ParameterStore(seed: 3)
        let norm = try GroupNorm(channels: 4, groups: 2, scope: store.root.child("norm"))
        let input = try LayerTestSupport.randomTensor([2, 4, 3, 3], seed: 4)
        let plain = try norm(input).copy()
        let gains: [Float] = [2, -1, 0.5, 3], biases: [Float] = [1, 0, -2, 0.25]
        for c in 0..<4 {
            store.values(of: norm.gain)[c] = gains[c]
            store.values(of: norm.bias)[c] = biases[c]
        }
        let output = try norm(input)
        for i in 0..<output.count {
            let channel = (i / 9) % 4
            #expect(abs(output[i] - (plain[i] * gains[channel] + biases[channel])) < 1e-5)
        }
    }

    @Test("GroupNorm gradients match finite differences",
          arguments: [([2, 4, 3, 3], 2), ([2, 6, 2, 3], 1), ([2, 4, 2, 2], 4), ([3, 6], 3)])
    func groupNormGradients(shape: [Int], groups: Int) throws {
        let store = ParameterStore(seed: 5)
        let norm = try GroupNorm(channels: shape[1], groups: groups, scope: store.root.child("norm"))
        LayerTestSupport.randomizeParameters(store, seed: 6, scale: 1)
        let input = try LayerTestSupport.randomTensor(shape, seed: 7)
        let reports = try LayerTestSupport.gradientReports(of: norm, store: store, input: input)
        #expect(reports.parameters!.relativeError < 1e-4, "\(reports.parameters!)")
        #expect(reports.input.relativeError < 1e-2, "\(reports.input)")
    }

    @Test("GroupNorm backward over the leading rows equals the backward of a forward on those rows only")
    func groupNormLeadingRows() throws {
        let store = ParameterStore(seed: 8)
        let norm = try GroupNorm(channels: 4, groups: 2, scope: store.root.child("norm"))
        LayerTestSupport.randomizeParameters(store, seed: 9)
        try Self.expectLeadingRowsBackward(norm, store: store, inputShape: [4, 4, 3, 3], rows: 2)
    }

    @Test("GroupNorm registers a per-channel gain (ones) and bias (zeros), neither decayed")
    func groupNormParameters() throws {
        let store = ParameterStore(seed: 10)
        _ = try GroupNorm(channels: 8, groups: 4, scope: store.root.child("norm"))
        #expect(store.entries.map(\.name) == ["norm.gain", "norm.bias"])
        #expect(store.entries.map(\.shape) == [[8], [8]])
        #expect(store.entries.allSatisfy { !$0.decays })
        #expect(store.snapshotValues() == Array(repeating: 1, count: 8) + Array(repeating: 0, count: 8))
    }

    @Test("GroupNorm rejects invalid settings and names both shapes on a mismatch")
    func groupNormInvalidInputs() throws {
        let scope = ParameterStore(seed: 11).root
        #expect(throws: TensorError.self) { try GroupNorm(channels: 6, groups: 4, scope: scope.child("a")) }
        #expect(throws: TensorError.self) { try GroupNorm(channels: 0, groups: 1, scope: scope.child("b")) }
        #expect(throws: TensorError.self) { try GroupNorm(channels: 4, groups: 0, scope: scope.child("c")) }
        #expect(throws: TensorError.self) { try GroupNorm(channels: 4, groups: 2, epsilon: 0, scope: scope.child("d")) }
        let norm = try GroupNorm(channels: 3, groups: 1, scope: scope.child("e"))
        let error = #expect(throws: TensorError.self) { try norm(Tensor(zeros: [2, 4, 8, 8])) }
        #expect(error?.description.contains("[2, 4, 8, 8]") == true)
        #expect(error?.description.contains("[2, 3, 8, 8]") == true, "\(String(describing: error))")
    }

    @Test("GroupNorm of a constant group is finite (ε keeps the scale bounded)")
    func groupNormConstantInput() throws {
        let norm = try GroupNorm(channels: 2, groups: 1, scope: ParameterStore(seed: 12).root)
        let input = try Tensor(shape: [1, 2, 2, 2], values: Array(repeating: 3, count: 8))
        let output = try norm(input)
        #expect(output.scalars.allSatisfy { $0 == 0 })
        let gradient = try norm.backward(LayerTestSupport.randomTensor([1, 2, 2, 2], seed: 13))
        #expect(Kernels.allFinite(gradient.data, count: gradient.count))
    }

    // MARK: LayerNorm

    @Test("LayerNorm output has mean 0 and variance 1 per row before the affine map", arguments: LayerNorm.Mode.allCases)
    func layerNormStatistics(mode: LayerNorm.Mode) throws {
        let norm = try LayerNorm(features: 37, mode: mode, scope: ParameterStore(seed: 14).root.child("norm"))
        let input = try LayerTestSupport.randomTensor([5, 37], seed: 15, scale: 3)
        for i in 0..<input.count { input.data[i] -= 7 }
        let output = try norm(input)
        for row in 0..<5 {
            let (mean, variance) = Self.moments(output.data + row * 37, count: 37)
            let inputVariance = Self.moments(input.data + row * 37, count: 37).variance
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - inputVariance / (inputVariance + 1e-5)) < 1e-4)
            #expect(abs(variance - 1) < 1e-3)
        }
    }

    @Test("LayerNorm modes register gain + bias, bias only, or nothing")
    func layerNormParameters() throws {
        let store = ParameterStore(seed: 16)
        _ = try LayerNorm(features: 4, mode: .affine, scope: store.root.child("affine"))
        _ = try LayerNorm(features: 4, mode: .nonScaling, scope: store.root.child("nonScaling"))
        _ = try LayerNorm(features: 4, mode: .none, scope: store.root.child("none"))
        _ = try LayerNorm(features: 4, mode: .none, scope: nil)
        #expect(store.entries.map(\.name) == ["affine.gain", "affine.bias", "nonScaling.bias"])
        #expect(store.entries.allSatisfy { !$0.decays && $0.shape == [4] })
        #expect(throws: TensorError.self) { try LayerNorm(features: 4, mode: .nonScaling, scope: nil) }
    }

    @Test("non-scaling LayerNorm adds its bias to the normalised input and ignores any gain")
    func nonScalingLayerNormFormula() throws {
        let store = ParameterStore(seed: 17)
        let norm = try LayerNorm(features: 3, mode: .nonScaling, scope: store.root.child("norm"))
        let bias = store.values(of: norm.bias!)
        bias[0] = 1; bias[1] = -2; bias[2] = 0.5
        let input = try Tensor(shape: [1, 3], values: [1, 2, 3])
        let output = try norm(input)
        // x̂ = (x − 2) / √(2/3 + ε)
        let r = 1 / (2.0 / 3.0 + 1e-5).squareRoot()
        let expected = [-r + 1, -2, r + 0.5]
        for f in 0..<3 { #expect(abs(Double(output[f]) - expected[f]) < 1e-5) }
    }

    @Test("LayerNorm gradients match finite differences", arguments: LayerNorm.Mode.allCases)
    func layerNormGradients(mode: LayerNorm.Mode) throws {
        let store = ParameterStore(seed: 18)
        let norm = try LayerNorm(features: 7, mode: mode, scope: store.root.child("norm"))
        LayerTestSupport.randomizeParameters(store, seed: 19, scale: 1)
        let input = try LayerTestSupport.randomTensor([4, 7], seed: 20)
        let reports = try LayerTestSupport.gradientReports(of: norm, store: mode == .none ? nil : store, input: input)
        if let parameters = reports.parameters { #expect(parameters.relativeError < 1e-4, "\(parameters)") }
        #expect(reports.input.relativeError < 5e-4, "\(reports.input)")
    }

    @Test("LayerNorm backward over the leading rows equals the backward of a forward on those rows only")
    func layerNormLeadingRows() throws {
        let store = ParameterStore(seed: 21)
        let norm = try LayerNorm(features: 9, mode: .affine, scope: store.root.child("norm"))
        LayerTestSupport.randomizeParameters(store, seed: 22)
        try Self.expectLeadingRowsBackward(norm, store: store, inputShape: [6, 9], rows: 4)
    }

    @Test("LayerNorm rejects invalid settings and names both shapes on a mismatch")
    func layerNormInvalidInputs() throws {
        let scope = ParameterStore(seed: 23).root
        #expect(throws: TensorError.self) { try LayerNorm(features: 0, scope: scope.child("a")) }
        #expect(throws: TensorError.self) { try LayerNorm(features: 3, epsilon: -1, scope: scope.child("b")) }
        let norm = try LayerNorm(features: 16, scope: scope.child("c"))
        let error = #expect(throws: TensorError.self) { try norm(Tensor(zeros: [2, 15])) }
        #expect(error?.description.contains("[2, 15]") == true)
        #expect(error?.description.contains("[2, 16]") == true, "\(String(describing: error))")
    }

    @Test("a repeated forward and backward allocates nothing")
    func steadyStateAllocatesNothing() throws {
        let store = ParameterStore(seed: 24)
        let groupNorm = try GroupNorm(channels: 8, groups: 4, scope: store.root.child("group"))
        let layerNorm = try LayerNorm(features: 32, mode: .nonScaling, scope: store.root.child("layer"))
        let image = try LayerTestSupport.randomTensor([4, 8, 4, 4], seed: 25)
        let imageGradient = try LayerTestSupport.randomTensor([3, 8, 4, 4], seed: 26)
        let rows = try LayerTestSupport.randomTensor([4, 32], seed: 27)
        let rowGradient = try LayerTestSupport.randomTensor([4, 32], seed: 28)
        let step = {
            _ = try groupNorm.forward(image, context: .evaluation)
            _ = try groupNorm.backward(imageGradient)
            _ = try layerNorm.forward(rows, context: .evaluation)
            _ = try layerNorm.backward(rowGradient)
        }
        try step()
        #expect(try LayerTestSupport.toolkitAllocations(in: step) == 0)
    }

    /// Runs forward on `inputShape` and backward on its leading `rows`, then forward and backward on
    /// those rows alone, and expects equal input and parameter gradients.
    static func expectLeadingRowsBackward(_ layer: any Layer, store: ParameterStore, inputShape: [Int], rows: Int) throws {
        let input = try LayerTestSupport.randomTensor(inputShape, seed: 100)
        var gradientShape = inputShape
        gradientShape[0] = rows
        let outputGradient = try LayerTestSupport.randomTensor(gradientShape, seed: 101)
        store.zeroGradients()
        _ = try layer.forward(input, context: .evaluation)
        let partial = try layer.backward(outputGradient).copy()
        let partialParameters = store.snapshotGradients()
        store.zeroGradients()
        _ = try layer.forward(LayerTestSupport.leadingRows(input, rows), context: .evaluation)
        let direct = try layer.backward(outputGradient).copy()
        #expect(partial.shape == gradientShape)
        #expect(LayerTestSupport.maximumRelativeDifference(partial.scalars, direct.scalars) < 1e-6)
        #expect(LayerTestSupport.maximumRelativeDifference(partialParameters, store.snapshotGradients()) < 1e-6)
    }
}
