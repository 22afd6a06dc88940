import Environments
import Foundation
import Replay
import Testing

/// An export that fails part-way keeps what it had committed: the episodes of finished chunks stay in
/// `<path>.partial`, recoverable bit for bit; a failure before the first commit leaves nothing.
@Suite("Trajectory export: a failure keeps the committed episodes")
struct TrajectoryExportFailureTests {
    struct RolloutFailure: Error, CustomStringConvertible {
        var description: String { "the target function failed on purpose" }
    }

    /// Counts the target function's calls (one per step of each batch) across the export.
    final class CallCounter: @unchecked Sendable {
        var calls = 0
    }

    /// The ring of 8 under Heun on a 6-step grid, with a target that throws from call `failingCall` on.
    static func rollout(failingFromCall failingCall: Int) throws -> (EpisodeRollout, SolverPolicy<HeunSolver, GaussianMixture>) {
        let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
        let environment = try DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 7))
        let counter = CallCounter()
        var rollout = EpisodeRollout(environment: environment)
        rollout.targets["next"] = TransitionTargetFunction { batch in
            counter.calls += 1
            if counter.calls >= failingCall { throw RolloutFailure() }
            return batch.nextStates
        }
        return (rollout, SolverPolicy(solver: HeunSolver(), denoiser: mixture))
    }

    static let metadata = TrajectoryDatasetMetadata(environment: "{}", solver: "heun", estimator: "teacher-heun",
                                                    timeGrid: "karras(count=7)", seed: 4)

    @Test("a rollout failing in the third batch keeps the 6 episodes of the first two chunks in .partial; recovery publishes exactly them")
    func failureAfterCommitsKeepsThem() throws {
        // Batches of 4, chunks of 3: batch 1 commits episodes 0–2, batch 2 commits 3–5, batch 3 (calls 13–18) fails.
        let (rollout, policy) = try Self.rollout(failingFromCall: 13)
        let path = try temporaryFolder("export-failure") + "/ring8.h5"
        let partial = TrajectoryDatasetWriter.partialPath(for: path)
        do {
            try TrajectoryExport.export(rollout: rollout, policy: policy, episodeCount: 20, runSeed: 4, to: path,
                                        metadata: Self.metadata, batchSize: 4, chunkEpisodes: 3)
            Issue.record("the export did not fail")
        } catch {
            let message = "\(error)"
            #expect(message.contains("the target function failed on purpose"), "\(message)")
            #expect(message.contains("the 6 episodes committed before the failure are kept in '\(partial)'"), "\(message)")
            #expect(message.contains("consistency-td inspect --recover \(partial)"), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: partial))

        let recovery = try TrajectoryDatasetWriter.recover(partialPath: partial)
        #expect(recovery.episodeCount == 6 && !recovery.truncatedAtDamage)
        let (reference, _) = try Self.rollout(failingFromCall: .max)
        let direct = try reference.run(policy: policy, runSeed: 4, count: 6)
        #expect(try TrajectoryDataset(path: path).allEpisodes() == direct)
    }

    @Test("a rollout failing before the first commit rethrows its own error and leaves no file")
    func failureBeforeAnyCommitLeavesNothing() throws {
        let (rollout, policy) = try Self.rollout(failingFromCall: 2)
        let path = try temporaryFolder("export-early-failure") + "/ring8.h5"
        #expect(throws: RolloutFailure.self) {
            try TrajectoryExport.export(rollout: rollout, policy: policy, episodeCount: 20, runSeed: 4, to: path,
                                        metadata: Self.metadata, batchSize: 4, chunkEpisodes: 3)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: TrajectoryDatasetWriter.partialPath(for: path)))
    }

    @Test("abandon keeps a writer's committed episodes (complete = false) and drops its buffer; discard keeps nothing")
    func abandonAndDiscard() throws {
        let (rollout, policy) = try Self.rollout(failingFromCall: .max)
        let episodes = try rollout.run(policy: policy, runSeed: 4, count: 5)
        let folder = try temporaryFolder("abandon")
        func writer(_ name: String) throws -> TrajectoryDatasetWriter {
            try TrajectoryDatasetWriter(path: folder + "/" + name, metadata: Self.metadata, dimension: 2,
                                        times: rollout.environment.times, targetNames: ["next"], chunkEpisodes: 3)
        }
        let abandoned = try writer("a.h5")
        for episode in episodes { try abandoned.append(episode) }
        #expect(abandoned.abandon() == 3)
        #expect(abandoned.abandon() == 0)
        #expect(try TrajectoryDatasetWriter.recover(partialPath: folder + "/a.h5.partial").episodeCount == 3)
        #expect(try TrajectoryDataset(path: folder + "/a.h5").allEpisodes() == Array(episodes.prefix(3)))

        let uncommitted = try writer("b.h5")
        try uncommitted.append(episodes[0])
        #expect(uncommitted.abandon() == 0)
        #expect(!FileManager.default.fileExists(atPath: folder + "/b.h5.partial"))

        let discarded = try writer("c.h5")
        for episode in episodes { try discarded.append(episode) }
        discarded.discard()
        #expect(!FileManager.default.fileExists(atPath: folder + "/c.h5.partial"))
    }
}
