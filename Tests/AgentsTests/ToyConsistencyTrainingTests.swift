import Agents
import Environments
import Testing

@Suite("Toy consistency training")
struct ToyConsistencyTrainingTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

    @Test("the same settings train bit-identical networks; another seed trains different ones")
    func trainingIsAFunctionOfTheSettings() throws {
        let settings = ToyConsistencyTraining(diffusionSteps: 3, consistencySteps: 3, width: 16, depth: 1, maximumTime: 20, seed: 2)
        let first = try settings.train(on: Self.ring)
        let second = try settings.train(on: Self.ring)
        var other = settings
        other.seed = 3
        let third = try other.train(on: Self.ring)
        let points: [Double] = [0.5, -1, 3, 2, -7, 0.1]
        let a = try first.consistency.consistency(points, time: 1.5)
        #expect(a == (try second.consistency.consistency(points, time: 1.5)))
        #expect(a != (try third.consistency.consistency(points, time: 1.5)))
        #expect(first.maximumTime == 20)
        #expect(first.consistency.dimension == 2 && first.diffusion.dimension == 2)
    }

    @Test("the consistency function keeps the boundary condition f(x, t_min) = x")
    func boundaryConditionHolds() throws {
        let result = try ToyConsistencyTraining(diffusionSteps: 2, consistencySteps: 2, width: 16, depth: 1).train(on: Self.ring)
        let points: [Double] = [0.5, -1, 3, 2]
        let boundary = try result.consistency.consistency(points, time: result.consistency.minimumTime)
        for (value, point) in zip(boundary, points) { #expect(abs(value - point) < 1e-5) }
    }

    @Test("progress reports every stage's end, and zero steps are refused with a message")
    func progressAndBadSettings() throws {
        var stages: [String] = []
        _ = try ToyConsistencyTraining(diffusionSteps: 2, consistencySteps: 2, width: 8, depth: 1)
            .train(on: Self.ring, reportEvery: 2) { stage, done, total in stages.append("\(stage) \(done)/\(total)") }
        #expect(stages == ["diffusion 2/2", "ect 2/2"])
        #expect(throws: AgentError.self) { try ToyConsistencyTraining(diffusionSteps: 0, consistencySteps: 2).train(on: Self.ring) }
    }
}
