import Environments
import Foundation
import Replay
import Testing

/// Episodes of the ring of 8 (radius 2) under the exact policy (Dormand–Prince, tolerance 1e−9) on
/// an 18-step Karras grid. Storage is float32: a stored x with |x| ≤ 4 is within half an ulp,
/// 2⁻²² ≈ 2.4e−7, of the Double it came from, so comparisons with Double oracles to 1e−6 leave
/// room for that rounding and the solver's tolerance, and nothing more.
@Suite("Exact-policy rollouts on a Gaussian mixture")
struct ExactRolloutTests {
    static func setting() throws -> (EpisodeRollout, SolverPolicy<DormandPrinceSolver, GaussianMixture>, ExactValue<GaussianMixture>) {
        let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let environment = try DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 19))
        let exact = try ExactValue(distribution: mixture, minimumTime: environment.minimumTime)
        let rollout = EpisodeRollout(environment: environment, values: ["exact": .exact(exact)])
        return (rollout, SolverPolicy(solver: exact.solver, denoiser: mixture), exact)
    }

    @Test("the final observation equals f*(x_{t_max}, t_max) to 1e−6, from the episode's recorded seed alone")
    func finalObservationIsExactValue() throws {
        let (rollout, policy, exact) = try Self.setting()
        let episodes = try rollout.run(policy: policy, runSeed: 5, count: 12)
        for episode in episodes {
            let start = rollout.initialState(seed: episode.seed)
            #expect(zip(episode.observation(at: 0), start).allSatisfy { Double($0) == Double(Float($1)) })
            let oracle = try exact.consistency(start, time: rollout.environment.maximumTime)
            let final = episode.observation(at: episode.stepCount)
            #expect(zip(final, oracle).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(Array(final)) vs \(oracle)")
            #expect(episode.terminations == (0..<18).map { $0 == 17 } && !episode.truncations.contains(true))
        }
    }

    @Test("rewards sum to x_{t_min} − x_{t_max} per episode (up to one float32 rounding per term)")
    func rewardsTelescope() throws {
        let (rollout, policy, _) = try Self.setting()
        for episode in try rollout.run(policy: policy, runSeed: 9, count: 8) {
            for d in 0..<2 {
                var sum = 0.0, magnitude = 0.0
                for k in 0..<episode.stepCount {
                    sum += Double(episode.rewards[k * 2 + d]); magnitude += abs(Double(episode.rewards[k * 2 + d]))
                }
                let first = Double(episode.observations[d]), last = Double(episode.observations[episode.stepCount * 2 + d])
                // Each stored term is its Double rounded to float32: |error| ≤ 2⁻²⁴ |value|.
                let bound = 0x1p-23 * (magnitude + abs(first) + abs(last))
                #expect(abs(sum - (last - first)) <= bound, "episode \(episode.seed), d \(d): \(sum) vs \(last - first)")
            }
        }
    }

    @Test("on an exact trajectory f*(x_{τ_k}, τ_k) is the same point for every k: the final observation")
    func exactValueConstantAlongTrajectory() throws {
        let (rollout, policy, _) = try Self.setting()
        for episode in try rollout.run(policy: policy, runSeed: 3, count: 4) {
            let values = episode.values["exact"]!
            let final = Array(episode.observation(at: episode.stepCount))
            for k in 0...episode.stepCount {
                #expect(abs(values[2 * k] - final[0]) < 2e-6 && abs(values[2 * k + 1] - final[1]) < 2e-6, "k = \(k)")
            }
        }
    }

    /// A fixed-step policy treats points independently, so batching cannot change a bit. (The
    /// adaptive exact policy picks one step size per batch, so its episodes agree across batchings
    /// only to the solver's tolerance.)
    @Test("under a fixed-step policy episode i is bit-identical whatever batch it is rolled out in")
    func batchIndependence() throws {
        let (rollout, _, exact) = try Self.setting()
        let policy = SolverPolicy(solver: HeunSolver(), denoiser: exact.distribution)
        let together = try rollout.run(policy: policy, runSeed: 2, count: 6)
        let split = try rollout.run(policy: policy, runSeed: 2, count: 2)
            + rollout.run(policy: policy, runSeed: 2, first: 2, count: 4)
        #expect(together == split)
    }

    @Test("the export API writes N teacher episodes with f* and a TD target, equal to a direct rollout, with the provenance")
    func exportWithValuesAndTargets() throws {
        var (rollout, _, exact) = try Self.setting()
        let policy = SolverPolicy(solver: HeunSolver(), denoiser: exact.distribution)
        rollout.targets["reward-plus-next"] = TransitionTargetFunction { batch in
            zip(batch.rewards, batch.nextStates).map { $0 + $1 }
        }
        let path = try temporaryFolder("export") + "/ring8.h5"
        let environmentJSON = try TrajectoryDatasetMetadata.environmentJSON(
            data: .ring(RingSpec(modes: 8, radius: 2, std: 0.1)),
            environment: rollout.environment)
        let metadata = TrajectoryDatasetMetadata(environment: environmentJSON, solver: "heun",
                                                 estimator: "teacher-heun", timeGrid: "karras(count=19)", seed: 4)
        try TrajectoryExport.export(rollout: rollout, policy: policy, episodeCount: 10, runSeed: 4, to: path,
                                    metadata: metadata, labels: { Int32($0 % 3) }, batchSize: 4, chunkEpisodes: 3)
        let dataset = try TrajectoryDataset(path: path)
        #expect(dataset.metadata == metadata && dataset.valueNames == ["exact"] && dataset.targetNames == ["reward-plus-next"])
        let read = try dataset.allEpisodes()
        let direct = try rollout.run(policy: policy, runSeed: 4, count: 10, labels: (0..<10).map { Int32($0 % 3) })
        #expect(read == direct)
        #expect(read.allSatisfy { $0.targets["reward-plus-next"]!.count == 36 })
    }
}
