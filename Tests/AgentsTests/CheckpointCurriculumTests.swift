import Agents
import Environments
import Foundation
import HDF5
import Testing

/// The `/curriculum` attributes of checkpoints written by real learners carry DESIGN.md §5's names:
/// `N` for the grid point count, `mu` for the EMA rate of the target network (absent for a
/// stop-gradient target), `stage` for the ECT/SCT stage.
@Suite("Checkpoints: curriculum attributes")
struct CheckpointCurriculumTests {
    /// What a small learner wrote after 3 iterations: its checkpoint's `/curriculum` attributes as
    /// read back from disk, the `curriculum/<name>` metrics of its third iteration (k = 2), and its
    /// pair sampler.
    struct Written {
        let attributes: [String: Double]
        let metrics: [String: Double]
        let sampler: any TimePairSampler
    }

    /// A small learner of `method` (with `targetNetwork` when given) over `steps` iterations, trained
    /// for 3 of them.
    private func curriculumAttributes(_ method: ConsistencyMethod, steps: Int, targetNetwork: TargetNetwork? = nil) throws -> Written {
        var configuration = try ConsistencyTrainingConfiguration.preset(method, steps: steps, dimension: 2)
        configuration.network.width = 8
        configuration.network.depth = 1
        configuration.batchSize = 16
        if let targetNetwork { configuration.targetNetwork = targetNetwork }
        let data = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        // ECT and CD tune a pretrained diffusion network; a freshly initialised one of the same shape will do here.
        let initial = method.startsFromDiffusionModel
            ? try PreconditionedNetwork(architecture: configuration.architecture, seed: 3,
                                        preconditioning: Preconditioning(.consistency, dataStandardDeviation: 0.5))
            : nil
        // CD's teacher: the ring's exact denoiser.
        let teacher: (any RowTimeDenoiser)?
        if case .teacher = configuration.estimator { teacher = ClosedFormTeacher(data, dimension: 2) } else { teacher = nil }
        let learner = try ConsistencyLearner(configuration: configuration, distribution: data, initial: initial, teacher: teacher)
        var metrics: [String: Double] = [:]
        for _ in 0..<3 { metrics = try learner.trainStep().metrics }
        let path = try temporaryFolder("curriculum-\(method)") + "/step.h5"
        try CheckpointFile.write(learner.checkpoint(), to: path)
        let file = try HDF5File(path)
        defer { try? file.close() }
        let group = try file.openGroup("curriculum")
        var attributes: [String: Double] = [:]
        for name in try group.attributeNames() { attributes[name] = try group.attribute(name, as: Double.self) }
        #expect(try CheckpointFile.read(from: path).curriculum == attributes)
        let curriculumMetrics = Dictionary(uniqueKeysWithValues: metrics.compactMap { name, value in
            name.hasPrefix("curriculum/") ? (String(name.dropFirst("curriculum/".count)), value) : nil
        })
        return Written(attributes: attributes, metrics: curriculumMetrics, sampler: learner.sampler)
    }

    @Test("a CT checkpoint after 3 of 100 iterations holds N = N(3) = 27 and mu = μ(3) = 0.9^(2/26)")
    func consistencyTrainingWritesNAndMu() throws {
        let written = try curriculumAttributes(.ct, steps: 100)
        let attributes = written.attributes
        // N(3) = ⌈√(3/100 · (151² − 2²) + 2²) − 1⌉ + 1 = ⌈√687.91 − 1⌉ + 1 = ⌈25.23⌉ + 1 = 27.
        #expect(attributes["N"] == 27)
        #expect(attributes["mu"] == Foundation.exp(2 * Foundation.log(0.9) / 26))
        #expect(attributes["iteration"] == 3)
        #expect(Set(attributes.keys) == ["N", "mu", "iteration", "skipped_steps", "data_standard_deviation"])
        let sampler = try #require(written.sampler as? ConsistencyModelPairSampler)
        #expect(written.metrics["mu"] == sampler.emaRate(iteration: 2), "the metrics of iteration 2 record μ(2)")
    }

    /// CD's target network is an EMA with the constant rate 0.95; the CM sampler's curriculum μ(k)
    /// (0.9^(2/17) with its fixed N = 18) is not what it uses, so it must not be recorded as `mu`.
    @Test("a CD checkpoint holds mu = 0.95, the target network's constant EMA rate, not the sampler's μ(k)")
    func consistencyDistillationWritesTheTargetRate() throws {
        let written = try curriculumAttributes(.cd, steps: 100)
        let sampler = try #require(written.sampler as? ConsistencyModelPairSampler)
        #expect(sampler.emaRate(iteration: 3) != 0.95, "the test needs a sampler μ(k) that differs from the target rate")
        #expect(written.attributes["mu"] == 0.95)
        #expect(written.attributes["N"] == 18)
        #expect(Set(written.attributes.keys) == ["N", "mu", "iteration", "skipped_steps", "data_standard_deviation"])
        #expect(written.metrics["mu"] == 0.95, "the curriculum/mu metric records the target rate too")
    }

    @Test("a CT run with a stop-gradient target records no mu, though its CM sampler has a μ(k)")
    func stopGradientTargetWritesNoMu() throws {
        let written = try curriculumAttributes(.ct, steps: 100, targetNetwork: .stopGradient)
        #expect(written.attributes["N"] == 27)
        #expect(Set(written.attributes.keys) == ["N", "iteration", "skipped_steps", "data_standard_deviation"])
        #expect(written.metrics["mu"] == nil)
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
        let written = try curriculumAttributes(.ect, steps: 16)
        let attributes = written.attributes
        let sampler = try #require(written.sampler as? ConsistencyTuningPairSampler)
        #expect(attributes["stage"] == 1)
        #expect(attributes["shrink_factor"] == sampler.mapping.shrinkFactor(stage: 1))
        #expect(attributes["iteration"] == 3)
        #expect(Set(attributes.keys) == ["stage", "shrink_factor", "iteration", "skipped_steps", "data_standard_deviation"])
    }
}
