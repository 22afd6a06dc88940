import Agents
import Environments
import Foundation
import NeuralNetworks
import Testing

/// A step whose loss and output gradient are finite but whose backward pass overflows: both
/// learners check the parameter gradients after the backward pass too, so the non-finite policy
/// sees the overflow — skip-and-count skips the step and leaves every parameter bit for bit,
/// zero-non-finite zeroes exactly the overflowed entries and applies the step.
///
/// The network (MLP of width 8, depth 1: Linear(66 → 8), SiLU, Linear(8 → 2)) is set up so that
/// exactly the output weight's gradient overflows: the hidden bias is 3·10³⁸, so every hidden
/// activation is about 3·10³⁸; the output weight is 0, so the output is the output bias (10⁶ for a
/// large, one-signed error) and dL/dh = Wᵀ·dL/dF = 0 below it; and dL/dW_out = Σ_b dL/dF_b · h_bᵀ
/// exceeds Float's 3.4·10³⁸ in all 2 × 8 entries, while dL/db_out = Σ_b dL/dF_b stays finite.
@Suite("Non-finite policy: a finite loss whose backward pass overflows")
struct BackwardOverflowTests {
    static let width = 8

    /// Sets the hidden bias to 3·10³⁸, the output weight to 0 and the output bias to 10⁶.
    static func makeBackwardOverflow(_ store: ParameterStore) throws {
        let entries = Dictionary(uniqueKeysWithValues: store.entries.map { ($0.name, $0.handle) })
        let hiddenBias = try #require(entries["layers.0.bias"]), outputWeight = try #require(entries["layers.1.weight"])
        let outputBias = try #require(entries["layers.1.bias"])
        try #require(hiddenBias.count == width && outputWeight.count == width * 2 && outputBias.count == 2)
        for (handle, value) in [(hiddenBias, Float(3e38)), (outputWeight, 0), (outputBias, 1e6)] {
            let values = store.values(of: handle)
            for i in values.indices { values[i] = value }
        }
    }

    static func parameterValues(_ store: ParameterStore) -> [Float] {
        Array(UnsafeBufferPointer(start: store.values, count: store.count))
    }

    static func pretrainer(policy: NonFinitePolicy) throws -> DiffusionPretrainer {
        var configuration = DiffusionPretrainingConfiguration(steps: 10, dimension: 2, width: width, depth: 1)
        configuration.batchSize = 16
        configuration.nonFinitePolicy = policy
        let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        try makeBackwardOverflow(pretrainer.network.store)
        return pretrainer
    }

    static func learner(policy: NonFinitePolicy) throws -> ConsistencyLearner {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 10, dimension: 2)
        configuration.network.width = width
        configuration.network.depth = 1
        configuration.batchSize = 16
        configuration.nonFinitePolicy = policy
        let initial = try PreconditionedNetwork(architecture: configuration.architecture, seed: 3,
                                                preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
        try makeBackwardOverflow(initial.store)
        return try ConsistencyLearner(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1),
                                      initial: initial)
    }

    /// Checks one step of `step` on a store prepared by ``makeBackwardOverflow(_:)`` under `policy`.
    static func expectPolicyHolds(_ policy: NonFinitePolicy, store: ParameterStore, step: () throws -> TrainingStepReport) throws {
        let before = parameterValues(store)
        let report = try step()
        let loss = try #require(report.metrics["train/loss"])
        #expect(loss.isFinite && loss > 0, "the loss must stay finite: \(loss)")
        let outputWeight = try #require(store.entries.first { $0.name == "layers.1.weight" }).handle
        switch policy {
        case .zeroNonFinite:
            #expect(!report.skipped)
            #expect(report.metrics[NonFinitePolicy.zeroedEntriesMetric] == Double(width * 2))
            #expect(report.metrics["train/skipped_steps"] == 0)
            let gradients = UnsafeBufferPointer(start: store.gradients, count: store.count)
            #expect(gradients.allSatisfy { $0.isFinite })
            #expect(gradients[outputWeight.offset ..< outputWeight.offset + outputWeight.count].allSatisfy { $0 == 0 })
            #expect(parameterValues(store).allSatisfy { $0.isFinite })
        default:
            #expect(report.skipped)
            #expect(report.metrics["train/skipped_steps"] == 1)
            #expect(report.metrics[NonFinitePolicy.zeroedEntriesMetric] == nil)
            let gradients = UnsafeBufferPointer(start: store.gradients, count: store.count)
            #expect(gradients[outputWeight.offset ..< outputWeight.offset + outputWeight.count].allSatisfy { $0.isInfinite },
                    "the overflow must be in the output weight's gradient")
            #expect(parameterValues(store).map(\.bitPattern) == before.map(\.bitPattern), "a skipped step changes no parameter")
        }
    }

    @Test("diffusion pretrainer: skip-and-count skips the step, zero-non-finite zeroes the 16 overflowed entries and applies it",
          arguments: [NonFinitePolicy.default, .zeroNonFinite])
    func pretrainer(policy: NonFinitePolicy) throws {
        let pretrainer = try Self.pretrainer(policy: policy)
        try Self.expectPolicyHolds(policy, store: pretrainer.network.store) { try pretrainer.trainStep() }
        #expect(pretrainer.skippedSteps == (policy == .zeroNonFinite ? 0 : 1))
    }

    @Test("consistency learner (CT: squared L2, so dL/dF grows with the error): skip-and-count skips the step, zero-non-finite zeroes the 16 overflowed entries and applies it",
          arguments: [NonFinitePolicy.default, .zeroNonFinite])
    func consistencyLearner(policy: NonFinitePolicy) throws {
        let learner = try Self.learner(policy: policy)
        try Self.expectPolicyHolds(policy, store: learner.online.store) { try learner.trainStep() }
    }
}
