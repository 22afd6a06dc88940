import Foundation
import NeuralNetworks
import Tensors
import Testing

@Suite("Linear layers and point-wise activations")
struct LinearAndActivationTests {
    @Test("Linear with each fused activation passes finite-difference checks for weights, bias and input",
          arguments: Activation.allCases)
    func linearGradients(activation: Activation) throws {
        let store = ParameterStore(seed: 1)
        let layer = try Linear(5, 7, activation: activation, scope: store.root.child("dense"))
        LayerTestSupport.randomizeParameters(store, seed: 2)
        let input = try LayerTestSupport.randomTensor([4, 5], seed: 3)
        let reports = try LayerTestSupport.gradientReports(of: layer, store: store, input: input)
        #expect(reports.parameters!.relativeError < 2e-3, "\(reports.parameters!)")
        #expect(reports.input.relativeError < 2e-3, "\(reports.input)")
    }

    @Test("Linear computes x·W + b and then the activation")
    func linearForward() throws {
        let store = ParameterStore(seed: 0)
        let layer = try Linear(2, 2, activation: .identity, scope: store.root)
        try store.loadValues([1, 2, 3, 4, 0.5, -0.5])  // W = [[1, 2], [3, 4]], b = [0.5, −0.5]
        let y = try layer(try Tensor(shape: [1, 2], values: [1, 1]))
        #expect(y.scalars == [4.5, 5.5])
        #expect(store.entries.map(\.name) == ["weight", "bias"])
        #expect(store.entry(named: "weight")!.decays && !store.entry(named: "bias")!.decays)
    }

    @Test("backward over the leading rows equals backward of a forward on those rows alone")
    func leadingRowsBackward() throws {
        let full = ParameterStore(seed: 4), alone = ParameterStore(seed: 4)
        let a = try Linear(6, 5, activation: .silu, scope: full.root), b = try Linear(6, 5, activation: .silu, scope: alone.root)
        let input = try LayerTestSupport.randomTensor([8, 6], seed: 5)
        let gradient = try LayerTestSupport.randomTensor([3, 5], seed: 6)
        _ = try a.forward(input, context: .evaluation)
        let inputGradientA = try a.backward(gradient).scalars
        _ = try b.forward(try LayerTestSupport.leadingRows(input, 3), context: .evaluation)
        let inputGradientB = try b.backward(gradient).scalars
        #expect(LayerTestSupport.maximumRelativeDifference(inputGradientA, inputGradientB) < 1e-6)
        #expect(LayerTestSupport.maximumRelativeDifference(full.snapshotGradients(), alone.snapshotGradients()) < 1e-6)
    }

    @Test("with gradientRows set, the leading rows differentiate as before and further rows are refused")
    func gradientRowsHint() throws {
        let hinted = ParameterStore(seed: 8), plain = ParameterStore(seed: 8)
        let a = try Linear(4, 6, activation: .silu, scope: hinted.root), b = try Linear(4, 6, activation: .silu, scope: plain.root)
        let input = try LayerTestSupport.randomTensor([10, 4], seed: 9)
        let gradient = try LayerTestSupport.randomTensor([5, 6], seed: 10)
        let outputA = try a.forward(input, context: ForwardContext(gradientRows: 5)).scalars
        let outputB = try b.forward(input, context: .evaluation).scalars
        #expect(outputA == outputB)
        #expect(try a.backward(gradient).scalars == b.backward(gradient).scalars)
        #expect(hinted.snapshotGradients() == plain.snapshotGradients())
        #expect(throws: TensorError.self) { try a.backward(try LayerTestSupport.randomTensor([6, 6], seed: 11)) }
    }

    @Test("bad settings and shapes are rejected with messages naming the shapes")
    func badInput() throws {
        let store = ParameterStore(seed: 0)
        #expect(throws: TensorError.self) { try Linear(0, 4, scope: store.root.child("zero")) }
        let layer = try Linear(3, 4, scope: store.root.child("ok"))
        do {
            _ = try layer(try Tensor(zeros: [2, 5]))
            Issue.record("a [2, 5] input to a 3 → 4 layer must fail")
        } catch {
            #expect(error.description.contains("[2, 5]") && error.description.contains("[3, 4]"))
        }
        #expect(throws: TensorError.self) { try Linear(3, 4, scope: store.root.child("ok")) }  // duplicate names
        #expect(throws: TensorError.self) { _ = try Linear(3, 4, scope: store.root.child("fresh")).backward(try Tensor(zeros: [1, 4])) }
        _ = try layer(try Tensor(zeros: [2, 3]))
        #expect(throws: TensorError.self) { try layer.backward(try Tensor(zeros: [3, 4])) }  // more rows than the forward
    }

    @Test("SiLU and GELU layers pass finite-difference checks", arguments: ["silu", "gelu"])
    func activationLayers(name: String) throws {
        let layer: any Layer = name == "silu" ? SiLU() : GELU()
        let input = try LayerTestSupport.randomTensor([3, 2, 4, 4], seed: 7, scale: 2)
        let reports = try LayerTestSupport.gradientReports(of: layer, store: nil, input: input)
        #expect(reports.input.relativeError < 2e-3, "\(reports.input)")
    }
}

@Suite("Dropout")
struct DropoutTests {
    @Test("identical stream keys give identical masks; another step gives another mask")
    func masksFollowTheStreamKey() throws {
        let a = try Dropout(probability: 0.3, name: "layers.0.dropout"), b = try Dropout(probability: 0.3, name: "layers.0.dropout")
        let input = try LayerTestSupport.randomTensor([16, 32], seed: 1)
        _ = try a.forward(input, context: .training(seed: 9, step: 4))
        _ = try b.forward(input, context: .training(seed: 9, step: 4))
        #expect(a.lastMask == b.lastMask)
        _ = try b.forward(input, context: .training(seed: 9, step: 5))
        #expect(a.lastMask != b.lastMask)
        let other = try Dropout(probability: 0.3, name: "layers.1.dropout")
        _ = try other.forward(input, context: .training(seed: 9, step: 4))
        #expect(other.lastMask != a.lastMask)
    }

    @Test("the drop rate and the 1/(1−p) scaling are right, and evaluation is the identity")
    func rateAndScaling() throws {
        let layer = try Dropout(probability: 0.25, name: "d")
        let input = try Tensor(shape: [200, 100], generator: { _ in 1 })
        let output = try layer.forward(input, context: .training(seed: 1, step: 0))
        let kept = output.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        let keptFraction = Double(kept.count) / 20_000
        #expect(abs(keptFraction - 0.75) < 5 * (0.75 * 0.25 / 20_000).squareRoot())
        #expect(try layer.forward(input, context: .evaluation).scalars == input.scalars)
    }

    @Test("a mask period shares masks between the online and target halves of a stacked batch")
    func maskPeriodSharesMasks() throws {
        let layer = try Dropout(probability: 0.5, name: "shared")
        let input = try Tensor(shape: [8, 10], generator: { _ in 1 })
        _ = try layer.forward(input, context: .training(seed: 3, step: 1, maskPeriod: 4))
        let mask = layer.lastMask
        #expect(Array(mask[0..<40]) == Array(mask[40..<80]))
        _ = try layer.forward(try LayerTestSupport.leadingRows(input, 4), context: .training(seed: 3, step: 1))
        #expect(layer.lastMask == Array(mask[0..<40]))
    }

    @Test("the backward applies the same mask, and settings are validated")
    func backwardAndValidation() throws {
        let layer = try Dropout(probability: 0.4, name: "g")
        let input = try LayerTestSupport.randomTensor([5, 6], seed: 2)
        let context = ForwardContext.training(seed: 1, step: 2)
        let reports = try LayerTestSupport.gradientReports(of: layer, store: nil, input: input, context: context)
        #expect(reports.input.relativeError < 1e-4, "\(reports.input)")
        #expect(throws: TensorError.self) { try Dropout(probability: 1, name: "x") }
        #expect(throws: TensorError.self) { try Dropout(probability: -0.1, name: "x") }
        #expect(throws: TensorError.self) { _ = try layer.forward(input, context: ForwardContext(isTraining: true)) }
    }
}
