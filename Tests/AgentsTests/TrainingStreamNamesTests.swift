@testable import Agents
import Environments
import Testing

/// EDM pretraining and the consistency run tuned from its network share a seed; their random streams
/// must not, or iteration k of the tuning run redraws pretraining iteration k's batch.
@Suite("Training stream names")
struct TrainingStreamNamesTests {
    @Test("pretraining and consistency learners draw from disjoint streams")
    func disjointNames() {
        let pretraining = Set(TrainingStreamNames.pretraining.all), consistency = Set(TrainingStreamNames.consistency.all)
        #expect(pretraining.count == 5 && consistency.count == 5)
        #expect(pretraining.isDisjoint(with: consistency))
    }

    @Test("with one seed, ECT's iteration k draws other data and noise than pretraining's iteration k")
    func tuningDoesNotRedrawPretrainingBatches() throws {
        let data = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        var pretraining = DiffusionPretrainingConfiguration(steps: 10, dimension: 2, width: 8, depth: 1)
        pretraining.batchSize = 32
        pretraining.seed = 5
        let pretrainer = try DiffusionPretrainer(configuration: pretraining, distribution: data)
        var tuning = try ConsistencyTrainingConfiguration.preset(.ect, steps: 10, dimension: 2)
        tuning.seed = 5
        let sampler = try tuning.pairs.makeSampler(totalIterations: 10, minimumTime: tuning.minimumTime,
                                                   maximumTime: tuning.maximumTime)
        for k in [0, 3] {
            let pretrainingDraws = pretrainer.draws(iteration: k)
            let tuningDraws = TrainingDraws(distribution: data, count: 32, sampler: sampler, iteration: k, seed: 5)
            #expect(pretrainingDraws.data.count == tuningDraws.data.count)
            #expect(pretrainingDraws.noise.count == tuningDraws.noise.count)
            #expect(pretrainingDraws.data != tuningDraws.data)
            #expect(pretrainingDraws.noise != tuningDraws.noise)
            // The draws are still a function of (seed, k) alone.
            #expect(pretrainer.draws(iteration: k).noise == pretrainingDraws.noise)
        }
    }
}
