import NeuralNetworks
import Tensors
import Testing

private typealias Support = OptimizerTestSupport

@Suite("Learning-rate schedules")
struct LearningRateScheduleTests {
    @Test("a constant schedule returns its rate at every step")
    func constant() throws {
        let schedule = try ConstantLearningRate(1e-4)
        for step in [0, 1, 17, 1_000_000] { #expect(schedule.learningRate(at: step) == 1e-4) }
    }

    @Test("linear warm-up: lr·min(1, (k + 1)/K_w), then constant")
    func linearWarmup() throws {
        let schedule = try LinearWarmup(peak: 1e-3, warmupSteps: 10)
        let expected: [(Int, Float)] = [(0, 1e-4), (4, 5e-4), (8, 9e-4), (9, 1e-3), (10, 1e-3), (5000, 1e-3), (-3, 1e-4)]
        for (step, value) in expected {
            #expect(abs(schedule.learningRate(at: step) - value) <= 1e-6 * value, "k = \(step)")
        }
        let none = try LinearWarmup(peak: 2e-4, warmupSteps: 0)
        #expect(none.learningRate(at: 0) == 2e-4)
    }

    @Test("inverse square root: lr / √max(k/k_ref, 1)")
    func inverseSquareRoot() throws {
        let schedule = try InverseSquareRootDecay(learningRate: 0.01, referenceSteps: 100)
        let expected: [(Int, Float)] = [(0, 0.01), (50, 0.01), (100, 0.01), (400, 0.005), (1600, 0.0025), (200, Float(0.01 / 2.0.squareRoot()))]
        for (step, value) in expected {
            #expect(abs(schedule.learningRate(at: step) - value) <= 1e-6 * value, "k = \(step)")
        }
    }

    @Test("warm-up composed with inverse-square-root decay multiplies the two")
    func composition() throws {
        let schedule = try InverseSquareRootDecay(learningRate: 0.01, referenceSteps: 100).withLinearWarmup(steps: 10)
        let expected: [(Int, Float)] = [(0, 0.001), (4, 0.005), (9, 0.01), (100, 0.01), (400, 0.005)]
        for (step, value) in expected {
            #expect(abs(schedule.learningRate(at: step) - value) <= 1e-6 * value, "k = \(step)")
        }
        // Warm-up longer than the plateau: both factors apply.
        let long = try LinearWarmup(warmupSteps: 800, then: InverseSquareRootDecay(learningRate: 0.01, referenceSteps: 100))
        #expect(abs(long.learningRate(at: 399) - Float(0.01 / (399.0 / 100).squareRoot() * 400 / 800)) < 1e-9)
    }

    @Test("invalid arguments throw invalidArgument")
    func validation() {
        #expect(Support.throwsInvalidArgument { _ = try ConstantLearningRate(0) })
        #expect(Support.throwsInvalidArgument { _ = try ConstantLearningRate(-1e-4) })
        #expect(Support.throwsInvalidArgument { _ = try ConstantLearningRate(.nan) })
        #expect(Support.throwsInvalidArgument { _ = try ConstantLearningRate(.infinity) })
        #expect(Support.throwsInvalidArgument { _ = try LinearWarmup(peak: 1e-3, warmupSteps: -1) })
        #expect(Support.throwsInvalidArgument { _ = try LinearWarmup(peak: 0, warmupSteps: 10) })
        #expect(Support.throwsInvalidArgument { _ = try InverseSquareRootDecay(learningRate: 1e-3, referenceSteps: 0) })
        #expect(Support.throwsInvalidArgument { _ = try InverseSquareRootDecay(learningRate: -1e-3, referenceSteps: 10) })
        #expect(Support.throwsInvalidArgument { _ = try ConstantLearningRate(1e-3).withLinearWarmup(steps: -5) })
    }
}
