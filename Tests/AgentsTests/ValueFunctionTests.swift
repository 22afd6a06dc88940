import Agents
import Environments
import NeuralNetworks
import Tensors
import Testing

@Suite("Value functions")
struct ValueFunctionTests {
    static func network(_ parameterisation: Parameterisation) throws -> PreconditionedNetwork {
        let mlp = try TimeConditionedMLP(TimeConditionedMLPConfiguration(dataDimension: 3, width: 32, depth: 2), seed: 5)
        return try PreconditionedNetwork(network: mlp, preconditioning: Preconditioning(parameterisation, dataStandardDeviation: 0.7))
    }

    @Test("the consistency parameterisation satisfies f(x, t_min) = x exactly and V(x, t_min) = 0")
    func boundaryCondition() throws {
        let model = try Self.network(.consistency)
        var stream = RandomStream(seed: 1, purpose: "points", index: 0)
        var points = [Double](repeating: 0, count: 30)
        points.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: 30) }
        let rounded = points.map { Double(Float($0)) }  // the network computes in Float32
        let f = try model.consistency(rounded, time: 0.002)
        #expect(f == rounded)
        #expect(try model.value(rounded, times: [Double](repeating: 0.002, count: 10)).allSatisfy { $0 == 0 })
        // Away from t_min the network contributes.
        #expect(try model.consistency(rounded, time: 1.0) != rounded)
    }

    @Test("the scalings follow METHODS.md §1 and the two parameterisations differ only by the t_min shift")
    func scalings() throws {
        let sd = 0.5, t = 1.3, tMin = 0.002
        let consistency = try Preconditioning(.consistency, dataStandardDeviation: sd, minimumTime: tMin).scalings(at: t)
        let edm = try Preconditioning(.edmDenoiser, dataStandardDeviation: sd, minimumTime: tMin).scalings(at: t)
        #expect(abs(consistency.skip - sd * sd / ((t - tMin) * (t - tMin) + sd * sd)) < 1e-15)
        #expect(abs(consistency.output - sd * (t - tMin) / (sd * sd + t * t).squareRoot()) < 1e-15)
        #expect(abs(edm.skip - sd * sd / (t * t + sd * sd)) < 1e-15)
        #expect(abs(edm.output - t * sd / (t * t + sd * sd).squareRoot()) < 1e-15)
        #expect(consistency.input == edm.input && abs(edm.noise - Foundation.log(t) / 4) < 1e-15)
        #expect(throws: AgentError.self) { try Preconditioning(.consistency, dataStandardDeviation: 0) }
    }

    @Test("backward through the preconditioning matches central finite differences")
    func preconditionedGradient() throws {
        let model = try Self.network(.consistency)
        let points: [Float] = [0.4, -0.3, 1.2, -1.0, 0.8, 0.1]
        let times: [Double] = [0.7, 3.0]
        let weights: [Float] = [0.5, -1.0, 0.25, 1.5, 0.3, -0.6]  // L = Σ weights · f
        func loss() throws -> Double {
            let out = try points.withUnsafeBufferPointer { x in
                try times.withUnsafeBufferPointer { t in try model.forward(x.baseAddress!, times: t.baseAddress!, rows: 2, context: .evaluation) }
            }
            return (0..<6).reduce(0.0) { $0 + Double(weights[$1]) * Double(out.data[$1]) }
        }
        _ = try loss()
        model.store.zeroGradients()
        try model.backward(try Tensor(shape: [2, 3], values: weights))
        let analytic = Array(UnsafeBufferPointer(start: model.store.gradients, count: model.store.count))
        for index in stride(from: 0, to: model.store.count, by: max(1, model.store.count / 40)) {
            let saved = model.store.values[index], h: Float = 1e-2
            model.store.values[index] = saved + h
            let plus = try loss()
            model.store.values[index] = saved - h
            let minus = try loss()
            model.store.values[index] = saved
            let numeric = (plus - minus) / Double(2 * h)
            #expect(abs(numeric - Double(analytic[index])) <= 2e-3 * max(1, abs(numeric)), "parameter \(index)")
        }
    }
}

import Foundation
