import Foundation
import Testing
import Environments
import Tensors

@Suite("ECT and SCT pair samplers (Geng et al. 2024; Wang et al. 2024)")
struct PairSamplerConsistencyTuningTests {
    @Test("ECT pairs satisfy 0 ≤ r < t and t ∈ [t_min, t_max] at every stage, for q = 2 and q = 256")
    func pairsAreOrdered() throws {
        for fast in [false, true] {
            let sampler = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800, fastRecipe: fast)
            var stream = RandomStream(seed: 5, purpose: "ect-pairs")
            for iteration in stride(from: 0, through: 3000, by: 50) {
                for pair in sampler.samplePairs(count: 200, iteration: iteration, stream: &stream) {
                    #expect(pair.targetTime >= 0)
                    #expect(pair.targetTime < pair.time)
                    #expect(pair.time >= 0.002 && pair.time <= 80)
                }
            }
        }
    }

    @Test("ECT stage increments exactly at multiples of d = total/8")
    func stageIncrementsAtMultiplesOfD() throws {
        let sampler = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800)   // d = 100
        #expect(sampler.iterationsPerStage == 100)
        #expect(sampler.stage(iteration: 0) == 0)
        #expect(sampler.stage(iteration: 99) == 0)
        #expect(sampler.stage(iteration: 100) == 1)
        #expect(sampler.stage(iteration: 199) == 1)
        #expect(sampler.stage(iteration: 200) == 2)
        #expect(sampler.stage(iteration: 799) == 7)
        #expect(sampler.stage(iteration: 800) == 8)
        #expect(sampler.curriculumState(iteration: 250)["stage"] == 2)
        #expect(sampler.curriculumState(iteration: 250)["shrink_factor"] == 0.125)
    }

    @Test("ECT mapping matches the formula at a hand point and r = 0 early at small t")
    func mappingHandValue() {
        let mapping = ConsistencyTuningMapping()
        // t = 1, s = 0: n = 1 + 8/(1 + e) = 3.1510…; r = 1 − ½·3.151 < 0 → 0.
        #expect(mapping.targetTime(time: 1, stage: 0) == 0)
        // t = 1, s = 3: r = 1 − n/16.
        let n = 1 + 8 / (1 + exp(1.0))
        #expect(abs(mapping.targetTime(time: 1, stage: 3) - (1 - n / 16)) < 1e-15)
    }

    @Test("ECT r/t increases to 1 as the stage grows")
    func ratioTendsToOne() {
        let mapping = ConsistencyTuningMapping()
        for t in [0.01, 0.5, 3.0, 80.0] {
            var previous = -1.0
            for stage in 0...40 {
                let ratio = mapping.targetTime(time: t, stage: Double(stage)) / t
                #expect(ratio >= previous)
                previous = ratio
            }
            #expect(previous > 1 - 1e-11)
            #expect(1 - mapping.targetTime(time: t, stage: 20) / t < 1e-5)
        }
    }

    @Test("SCT's smooth schedule equals ECT's stepwise schedule at integer stages and lies between them otherwise")
    func smoothEqualsStepwiseAtIntegerStages() throws {
        let stepwise = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800)
        let smooth = try ConsistencyTuningPairSampler.stableConsistencyTuning(totalIterations: 800)
        #expect(smooth.stageProgression == .continuous)
        for iteration in stride(from: 0, through: 1600, by: 100) {
            #expect(smooth.stage(iteration: iteration) == stepwise.stage(iteration: iteration))
            var streamA = RandomStream(seed: 9, purpose: "pairs"), streamB = RandomStream(seed: 9, purpose: "pairs")
            #expect(smooth.samplePairs(count: 64, iteration: iteration, stream: &streamA)
                    == stepwise.samplePairs(count: 64, iteration: iteration, stream: &streamB))
        }
        #expect(smooth.stage(iteration: 150) == 1.5)
        let t = 5.0
        let between = smooth.targetTime(time: t, iteration: 150)
        #expect(between > stepwise.targetTime(time: t, iteration: 150))   // stage 1
        #expect(between < stepwise.targetTime(time: t, iteration: 200))   // stage 2
    }

    @Test("t follows the clamped log-normal: its median is exp(P_mean)")
    func timeDistribution() throws {
        let sampler = try ConsistencyTuningPairSampler.easyConsistencyTuning(totalIterations: 800)
        var stream = RandomStream(seed: 21, purpose: "ect-times")
        let times = sampler.samplePairs(count: 20_000, iteration: 0, stream: &stream).map(\.time).sorted()
        let median = times[times.count / 2]
        #expect(abs(log(median) - (-1.1)) < 0.05)
    }

    @Test("Invalid settings are rejected with a readable message")
    func invalidSettings() {
        do {
            _ = try ConsistencyTuningPairSampler(iterationsPerStage: 0)
            Issue.record("d = 0 should be rejected")
        } catch {
            #expect("\(error)".contains("d (iterations per stage) = 0.0"))
        }
        #expect(throws: PairSamplerConfigurationError.self) {
            try ConsistencyTuningPairSampler(iterationsPerStage: 10, mapping: ConsistencyTuningMapping(shrinkBase: 1))
        }
        #expect(throws: TimeGridError.minimumTimeNotPositive(0)) { try ConsistencyTuningPairSampler(minimumTime: 0, iterationsPerStage: 10) }
    }
}
