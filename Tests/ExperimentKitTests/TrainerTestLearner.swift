import Agents
import ExperimentKit
import Foundation
import NeuralNetworks
import Tensors

/// A small deterministic ``TrainingLearner`` for the trainer tests: linear regression
/// ŷ = w·x + b (w ∈ ℝ⁴) fitted by Adam to y = w*·x + b* + 0.1·ε on batches of 16 drawn, for
/// iteration i, from `RandomStream(seed:, purpose: "data", index: i)` — so an iteration depends
/// only on the seed, i and the parameters/optimizer state (the determinism contract).
///
/// Loss L = (1/B) Σ (ŷ − y)², gradients ∂L/∂w = (2/B) Σ (ŷ − y)·x, ∂L/∂b = (2/B) Σ (ŷ − y).
/// Iterations listed in `nonFiniteIterations` get a NaN target, hence a NaN loss and gradient:
/// the step is skipped (no update) and reported as such. `onIteration` runs at the start of every
/// iteration (tests raise signals or request stops there); `failAtIteration` throws there.
final class LinearRegressionLearner: TrainingLearner {
    struct InjectedFailure: Error {}

    static let inputDimension = 4
    static let batchSize = 16

    let methodName = "linear-regression"
    let seed: UInt64
    let learningRate: Float = 0.05
    var configurationJSON: String { #"{"learning_rate":0.05,"batch":16}"# }
    private(set) var completedIterations = 0

    let store: ParameterStore
    let optimizer: Adam
    let weight: ParameterHandle
    let bias: ParameterHandle
    var nonFiniteIterations: Set<Int> = []
    var failAtIteration: Int?
    var onIteration: ((Int) -> Void)?
    /// How many times ``evaluate()`` ran.
    private(set) var evaluationCount = 0

    init(seed: UInt64 = 7) throws {
        self.seed = seed
        store = ParameterStore(seed: seed)
        weight = try store.register(name: "weight", shape: [Self.inputDimension], initializer: .normal(standardDeviation: 0.5))
        bias = try store.register(name: "bias", shape: [1], initializer: .zeros)
        optimizer = try Adam()
    }

    /// The true weights and bias.
    static let trueWeight: [Float] = [1.5, -2, 0.5, 3]
    static let trueBias: Float = -0.75

    /// A batch (x, y) from `stream`.
    private static func batch(_ stream: inout RandomStream) -> (x: [Float], y: [Float]) {
        var x = [Float](repeating: 0, count: batchSize * inputDimension)
        var noise = [Float](repeating: 0, count: batchSize)
        x.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
        noise.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: $0.count) }
        var y = [Float](repeating: 0, count: batchSize)
        for row in 0..<batchSize {
            var value = trueBias + 0.1 * noise[row]
            for column in 0..<inputDimension { value += trueWeight[column] * x[row * inputDimension + column] }
            y[row] = value
        }
        return (x, y)
    }

    /// The mean squared error on (x, y); with `accumulateGradients`, also writes ∂L/∂w, ∂L/∂b.
    private func loss(x: [Float], y: [Float], accumulateGradients: Bool) -> Double {
        let w = store.values(of: weight), b = store.values(of: bias)[0]
        let gw = store.gradients(of: weight), gb = store.gradients(of: bias)
        var total: Double = 0
        for row in 0..<Self.batchSize {
            var prediction = b
            for column in 0..<Self.inputDimension { prediction += w[column] * x[row * Self.inputDimension + column] }
            let residual = prediction - y[row]
            total += Double(residual * residual)
            if accumulateGradients {
                let scale = 2 * residual / Float(Self.batchSize)
                for column in 0..<Self.inputDimension { gw[column] += scale * x[row * Self.inputDimension + column] }
                gb[0] += scale
            }
        }
        return total / Double(Self.batchSize)
    }

    func trainStep() throws -> TrainingStepReport {
        let iteration = completedIterations
        onIteration?(iteration)
        if iteration == failAtIteration { throw InjectedFailure() }
        var stream = RandomStream(seed: seed, purpose: "data", index: UInt64(iteration))
        var (x, y) = Self.batch(&stream)
        if nonFiniteIterations.contains(iteration) { y[0] = .nan }
        store.zeroGradients()
        let value = loss(x: x, y: y, accumulateGradients: true)
        completedIterations += 1
        guard value.isFinite, store.gradientsAreFinite else {
            return TrainingStepReport(metrics: ["loss": value, "grad_norm": .nan], skipped: true)
        }
        let gradientNorm = store.gradientNorm()
        try optimizer.step(store, learningRate: learningRate)
        return TrainingStepReport(metrics: ["loss": value, "grad_norm": gradientNorm])
    }

    func evaluate() throws -> [String: Double] {
        evaluationCount += 1
        var stream = RandomStream(seed: seed, purpose: "evaluation")
        let (x, y) = Self.batch(&stream)
        let w = store.values(of: weight)
        let weightError = zip(w, Self.trueWeight).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        return ["mse": loss(x: x, y: y, accumulateGradients: false), "weight_error": weightError.squareRoot()]
    }

    func checkpoint() -> Checkpoint {
        Checkpoint(step: completedIterations, method: methodName, seed: seed, configuration: configurationJSON,
                   store: store, optimizer: optimizer, learningRate: learningRate)
    }

    func restore(from checkpoint: Checkpoint, path: String) throws {
        try checkpoint.restore(into: store, optimizer: optimizer, path: path)
        completedIterations = checkpoint.step
    }

    /// Parameters and optimizer state, for bit-for-bit comparisons.
    var state: (values: [Float], slots: [String: [Float]], optimizerSteps: Int) {
        (store.snapshotValues(), optimizer.snapshotSlots(), optimizer.stepCount)
    }
}
