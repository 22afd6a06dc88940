import Agents
import Environments
import Replay
import Testing

/// A consistency function f*(x, t) + c: a bootstrap with a known constant error.
private struct ShiftedValue: ConsistencyFunction {
    let exact: ExactValue<GaussianMixture>
    let shift: Double
    var dimension: Int { exact.dimension }
    var minimumTime: Double { exact.minimumTime }
    func consistency(_ points: [Double], time t: Double) throws -> [Double] { try exact.consistency(points, time: t).map { $0 + shift } }
}

@Suite("Trajectory annotations")
struct TrajectoryAnnotationsTests {
    static let ring = try! GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)

    /// Eight exact-policy episodes of 6 steps with f* values and TD(0) targets under `bootstrap`.
    static func episodes(_ bootstrap: TrajectoryAnnotations.Bootstrap) throws -> [Episode] {
        let mdp = try DenoisingMDP(dimension: 2, grid: try TimeGrid.karras(count: 7, minimum: 0.002, maximum: 20))
        var rollout = EpisodeRollout(environment: mdp)
        rollout.values["exact"] = try TrajectoryAnnotations.exactValues(ring, minimumTime: 0.002)
        rollout.targets["td0"] = try TrajectoryAnnotations.target(.td0, distribution: ring, grid: mdp.times, bootstrap: bootstrap)
        return try rollout.run(policy: SolverPolicy(solver: DormandPrinceSolver(), denoiser: ring), runSeed: 4, count: 8)
    }

    @Test("with the exact bootstrap every TD(0) target equals f* at its state (the zero-bias reference)")
    func exactBootstrapTargetsEqualExactValues() throws {
        for episode in try Self.episodes(.exact) {
            let values = episode.values["exact"]!, targets = episode.targets["td0"]!
            for k in 0..<(episode.stepCount * 2) { #expect(abs(Double(targets[k]) - Double(values[k])) < 1e-4) }
        }
    }

    @Test("a bootstrap off by a constant c moves every non-terminal TD(0) target by c and leaves the terminal one at the point")
    func functionBootstrapErrorShowsInTargets() throws {
        let exact = try ExactValue(distribution: Self.ring, minimumTime: 0.002)
        let shifted = try Self.episodes(.function(ShiftedValue(exact: exact, shift: 0.25), label: "shifted"))
        let reference = try Self.episodes(.exact)
        for (episode, base) in zip(shifted, reference) {
            let k = episode.stepCount
            for j in 0..<((k - 1) * 2) {
                #expect(abs(Double(episode.targets["td0"]![j]) - Double(base.targets["td0"]![j]) - 0.25) < 1e-4)
            }
            for j in ((k - 1) * 2)..<(k * 2) { #expect(episode.targets["td0"]![j] == base.targets["td0"]![j]) }
        }
        #expect(TrajectoryAnnotations.Bootstrap.function(exact, label: "f").label == "f")
        #expect(TrajectoryAnnotations.Bootstrap.exact.label == "exact f*")
    }
}
