@testable import Agents
import Environments
import NeuralNetworks
import Testing

/// The CM target network θ⁻ ← μ θ⁻ + (1 − μ) θ and the evaluation average blend trainable parameters
/// only: a frozen Fourier frequency must stay the online network's, or the target's time features drift.
@Suite("Target network and evaluation average keep frozen parameters exact")
struct FrozenParameterAverageTests {
    @Test("after CT iterations (EMA curriculum target) the target's and the average's Fourier frequencies equal the online ones")
    func targetKeepsFrozenFrequencies() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ct, steps: 20, dimension: 2)
        configuration.network.width = 16
        configuration.network.depth = 1
        configuration.network.embedding = .fourier(features: 256, scale: 16)
        configuration.batchSize = 8
        let learner = try ConsistencyLearner(configuration: configuration, distribution: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        for _ in 0..<6 { _ = try learner.trainStep() }
        let online = learner.online.store
        let entry = try #require(online.entries.first { !$0.trainable })
        let frequencies = Array(online.values(of: entry.handle))
        let target = try #require(learner.targetNetwork).store
        #expect(Array(target.values(of: entry.handle)) == frequencies)
        let average = try #require(learner.averages)
        #expect(Array(average.values(0, for: entry)) == frequencies)
        // The trainable parameters did move apart, so the blend ran.
        #expect(target.snapshotValues() != online.snapshotValues())
    }
}
