import Agents
import Environments
import Foundation
import HDF5
import Testing

/// The `/curriculum` attributes of checkpoints written by real learners carry DESIGN.md §5's names:
/// `N` for the grid point count, `mu` for the EMA rate, `stage` for the ECT/SCT stage.
@Suite("Checkpoints: curriculum attributes")
struct CheckpointCurriculumTests {
    /// A small learner of `method` over `steps` iterations, trained for 3 of them; returns its
    /// checkpoint's `/curriculum` attributes as written to disk, and the learner's pair sampler.
    private func curriculumAttributes(_ method: ConsistencyMethod, steps: Int) throws -> (attributes: [String: Double], sampler: any TimePairSampler) {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: 2)
        configuration.network.width = 8
        configuration.network.depth = 1
        configuration.batchSize = 16
        // ECT tunes a pretrained diffusion network; a freshly initialised one of the same shape will do here.
        let initial = method.startsFromDiffusionModel
            ? try PreconditionedNetwork(architecture: configuration.architecture, seed: 3,
                                        preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
            : nil
        let learner = try ConsistencyLearner(configuration: configuration, distribution: GaussianMixture.ring(modes: 8, radius: 2, std: 0.1),
                                             initial: initial)
        for _ in 0..<3 { _ = try learner.trainStep() }
        let path = try temporaryFolder("curriculum-\(method)") + "/step.h5"
        try CheckpointFile.write(learner.checkpoint(), to: path)
        let file = try HDF5File(path)
        defer { try? file.close() }
        let group = try file.openGroup("curriculum")
        var attributes: [String: Double] = [:]
        for name in try group.attributeNames() { attributes[name] = try group.attribute(name, as: Double.self) }
        #expect(try CheckpointFile.read(from: path).curriculum == attributes)
        return (attributes, learner.sampler)
    }

    @Test("a CT checkpoint after 3 of 100 iterations holds N = N(3) = 27 and mu = μ(3) = 0.9^(2/26)")
    func consistencyTrainingWritesNAndMu() throws {
        let attributes = try curriculumAttributes(.ct, steps: 100).attributes
        // N(3) = ⌈√(3/100 · (151² − 2²) + 2²) − 1⌉ + 1 = ⌈√687.91 − 1⌉ + 1 = ⌈25.23⌉ + 1 = 27.
        #expect(attributes["N"] == 27)
        #expect(attributes["mu"] == Foundation.exp(2 * Foundation.log(0.9) / 26))
        #expect(attributes["iteration"] == 3)
        #expect(Set(attributes.keys) == ["N", "mu", "iteration", "skipped_steps", "data_standard_deviation"])
    }

    @Test("an iCT checkpoint after 3 of 16 iterations holds N = 21 (one doubling of s0 = 10) and doubling_period = 2")
    func improvedConsistencyTrainingWritesN() throws {
        let attributes = try curriculumAttributes(.ict, steps: 16).attributes
        // K′ = ⌊16 / (log₂⌊1280/10⌋ + 1)⌋ = ⌊16/8⌋ = 2; N(3) = min(10 · 2^⌊3/2⌋, 1280) + 1 = 21.
        #expect(attributes["N"] == 21)
        #expect(attributes["doubling_period"] == 2)
        #expect(attributes["iteration"] == 3)
        #expect(Set(attributes.keys) == ["N", "doubling_period", "iteration", "skipped_steps", "data_standard_deviation"])
    }

    @Test("an ECT checkpoint after 3 of 16 iterations holds stage = ⌊3/2⌋ = 1 and its shrink_factor")
    func consistencyTuningWritesStage() throws {
        let (attributes, learnerSampler) = try curriculumAttributes(.ect, steps: 16)
        let sampler = try #require(learnerSampler as? ConsistencyTuningPairSampler)
        #expect(attributes["stage"] == 1)
        #expect(attributes["shrink_factor"] == sampler.mapping.shrinkFactor(stage: 1))
        #expect(attributes["iteration"] == 3)
        #expect(Set(attributes.keys) == ["stage", "shrink_factor", "iteration", "skipped_steps", "data_standard_deviation"])
    }
}
