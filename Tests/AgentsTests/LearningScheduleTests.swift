import Agents
import Environments
import Foundation
import Testing

@Suite("Learning-rate decay and pair-schedule settings")
struct LearningScheduleTests {
    @Test("cosine decay starts at 1 after warm-up, ends at φ, passes (1 + φ)/2 halfway and never increases")
    func cosineDecayEndpointsAndMonotone() {
        let decay = LearningRateDecay.cosine(finalFraction: 0.1)
        #expect(decay.factor(iteration: 5, total: 105, warmup: 10) == 1)
        #expect(abs(decay.factor(iteration: 10, total: 110, warmup: 10) - 1) < 1e-6)
        #expect(abs(decay.factor(iteration: 60, total: 110, warmup: 10) - 0.55) < 1e-6)
        #expect(abs(decay.factor(iteration: 110, total: 110, warmup: 10) - 0.1) < 1e-6)
        let factors = (0...110).map { decay.factor(iteration: $0, total: 110, warmup: 10) }
        #expect(zip(factors, factors.dropFirst()).allSatisfy { pair in pair.1 <= pair.0 + 1e-7 })
    }

    @Test("linear decay interpolates from 1 to φ")
    func linearDecayInterpolates() {
        let decay = LearningRateDecay.linear(finalFraction: 0.2)
        #expect(abs(decay.factor(iteration: 0, total: 100, warmup: 0) - 1) < 1e-6)
        #expect(abs(decay.factor(iteration: 25, total: 100, warmup: 0) - 0.8) < 1e-6)
        #expect(abs(decay.factor(iteration: 100, total: 100, warmup: 0) - 0.2) < 1e-6)
        #expect(LearningRateDecay.constant.factor(iteration: 50, total: 100, warmup: 0) == 1)
    }

    @Test("the learner's learning rate is the linear warm-up, then base × the decay factor")
    func learnerFollowsWarmupThenDecay() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ict, steps: 100, dimension: 2)
        configuration.network.width = 8
        configuration.network.depth = 1
        configuration.learningRate = 1e-3
        configuration.warmupSteps = 10
        configuration.learningRateDecay = .cosine(finalFraction: 0)
        let learner = try ConsistencyLearner(configuration: configuration, distribution: GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        #expect(abs(learner.learningRate(iteration: 0) - 1e-4) < 1e-9)
        #expect(abs(learner.learningRate(iteration: 10) - 1e-3) < 1e-9)
        #expect(abs(learner.learningRate(iteration: 55) - 5e-4) < 1e-8)
        #expect(learner.learningRate(iteration: 100) < 1e-9)
    }

    @Test("a decay fraction outside [0, 1] is rejected before training")
    func invalidDecayFractionThrows() throws {
        var configuration = try ConsistencyTrainingConfiguration.preset(.ect, steps: 100, dimension: 2)
        configuration.learningRateDecay = .cosine(finalFraction: 1.5)
        #expect(throws: AgentError.self) { try configuration.validate() }
    }

    @Test("the ECT/SCT schedule passes P_mean, P_std and the stage count to its sampler")
    func consistencyTuningScheduleForwardsSettings() throws {
        let schedule = PairSchedule.consistencyTuning(progression: .stepwise, shrinkBase: 2, logMean: 0.5, logStandardDeviation: 1.5,
                                                      stageCount: 4)
        let sampler = try #require(try schedule.makeSampler(totalIterations: 1000, minimumTime: 0.002, maximumTime: 20)
            as? ConsistencyTuningPairSampler)
        #expect(sampler.logMean == 0.5)
        #expect(sampler.logStandardDeviation == 1.5)
        #expect(sampler.iterationsPerStage == 250)
        #expect(sampler.maximumTime == 20)
        #expect(throws: AgentError.self) {
            try PairSchedule.consistencyTuning(progression: .stepwise, stageCount: 0).makeSampler(totalIterations: 10, minimumTime: 0.002, maximumTime: 80)
        }
    }

    @Test("the iCT schedule passes P_mean and P_std to its sampler")
    func improvedConsistencyScheduleForwardsSettings() throws {
        let schedule = PairSchedule.improvedConsistency(initialScale: 10, finalScale: 160, logMean: -0.5, logStandardDeviation: 1.0)
        let sampler = try #require(try schedule.makeSampler(totalIterations: 1000, minimumTime: 0.002, maximumTime: 80)
            as? ImprovedConsistencyPairSampler)
        #expect(sampler.logMean == -0.5)
        #expect(sampler.logStandardDeviation == 1.0)
        #expect(sampler.finalScale == 160)
    }
}
