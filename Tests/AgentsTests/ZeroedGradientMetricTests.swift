import Agents
import Environments
import Foundation
import Testing

/// `.zeroNonFinite` repairs a step instead of skipping it; the repair must show in the step's
/// metrics (``NonFinitePolicy/zeroedEntriesMetric``), not pass silently.
@Suite("Non-finite policy: zeroed gradient entries are recorded")
struct ZeroedGradientMetricTests {
    /// An ECT learner (batch 16 on the 2-D ring) whose initial network has a NaN output bias, so every
    /// output — and every entry of dL/d(output) — is NaN, while the backward pass of that zeroed
    /// output gradient gives finite parameter gradients.
    static func learnerWithNaNOutputBias(policy: NonFinitePolicy) throws -> ConsistencyLearner {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: 10, dimension: 2)
        configuration.network.width = 8
        configuration.network.depth = 1
        configuration.batchSize = 16
        configuration.nonFinitePolicy = policy
        let initial = try PreconditionedNetwork(architecture: configuration.architecture, seed: 3,
                                                preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
        let outputBias = try #require(initial.store.entries.last { $0.name.hasSuffix("bias") && $0.handle.count == 2 },
                                      "the MLP has a 2-element output bias")
        let bias = initial.store.values(of: outputBias.handle)
        for i in bias.indices { bias[i] = .nan }
        return try ConsistencyLearner(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1),
                                      initial: initial)
    }

    @Test("zero-non-finite: the step is applied and records 16 × 2 zeroed entries (all of dL/d(output), no parameter gradient)")
    func zeroPolicyRecordsTheCount() throws {
        let learner = try Self.learnerWithNaNOutputBias(policy: .zeroNonFinite)
        let report = try learner.trainStep()
        #expect(!report.skipped)
        #expect(report.metrics[NonFinitePolicy.zeroedEntriesMetric] == 32)
        #expect(report.metrics["train/skipped_steps"] == 0)
    }

    @Test("skip-and-count: the step is skipped and no zeroed-entry metric is recorded")
    func skipPolicyRecordsNoZeroedEntries() throws {
        let learner = try Self.learnerWithNaNOutputBias(policy: .default)
        let report = try learner.trainStep()
        #expect(report.skipped)
        #expect(report.metrics[NonFinitePolicy.zeroedEntriesMetric] == nil)
        #expect(report.metrics["train/skipped_steps"] == 1)
    }

    @Test("zero-non-finite on a healthy network records 0 at every step, so the series has a row per step")
    func healthyStepsRecordZero() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: 10, dimension: 2)
        configuration.network.width = 8
        configuration.network.depth = 1
        configuration.batchSize = 16
        configuration.nonFinitePolicy = .zeroNonFinite
        let learner = try ConsistencyLearner(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        for _ in 0..<3 { #expect(try learner.trainStep().metrics[NonFinitePolicy.zeroedEntriesMetric] == 0) }
    }
}

@Suite("Non-finite policy: the diffusion pretrainer records zeroed entries too")
struct PretrainerZeroedGradientMetricTests {
    @Test("zero-non-finite with a NaN output bias: the step is applied and records 16 × 2 zeroed entries; skip-and-count skips it")
    func pretrainerRecordsTheCount() throws {
        for policy in [NonFinitePolicy.zeroNonFinite, .default] {
            var configuration = DiffusionPretrainingConfiguration(steps: 10, dimension: 2, width: 8, depth: 1)
            configuration.batchSize = 16
            configuration.nonFinitePolicy = policy
            let pretrainer = try DiffusionPretrainer(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
            let store = pretrainer.network.store
            let outputBias = try #require(store.entries.last { $0.name.hasSuffix("bias") && $0.handle.count == 2 })
            let bias = store.values(of: outputBias.handle)
            for i in bias.indices { bias[i] = .nan }
            let report = try pretrainer.trainStep()
            #expect(report.skipped == (policy != .zeroNonFinite))
            #expect(report.metrics[NonFinitePolicy.zeroedEntriesMetric] == (policy == .zeroNonFinite ? 32 : nil))
        }
    }
}
