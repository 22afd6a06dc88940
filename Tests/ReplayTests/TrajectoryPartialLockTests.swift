import Environments
import Foundation
import Replay
import Testing

/// A live writer holds its `<path>.partial` (PartialFileLock): recovery refuses the file while the writer
/// runs — it would publish a truncated dataset and delete the file under the writer — and the messages
/// that point at a partial file say it is being written; once the writer stops, the file is free.
@Suite("Trajectory writer: a partial file being written is not recovered")
struct TrajectoryPartialLockTests {
    static let metadata = TrajectoryDatasetMetadata(environment: "{}", solver: "heun", estimator: "teacher-heun",
                                                    timeGrid: "karras(count=7)", seed: 4)

    static func episodes(_ count: Int) throws -> (DenoisingMDP, [Episode]) {
        let environment = try DenoisingMDP(dimension: 2, grid: TimeGrid.karras(count: 7))
        let policy = SolverPolicy(solver: HeunSolver(), denoiser: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1))
        return (environment, try EpisodeRollout(environment: environment).run(policy: policy, runSeed: 4, count: count))
    }

    @Test("while the writer runs: isBeingWritten, recovery refused and reading points at the writer; after abandon, recovery works")
    func liveWriterIsNotRecovered() throws {
        let (environment, episodes) = try Self.episodes(4)
        let path = try temporaryFolder("partial-lock") + "/ring8.h5"
        let partial = TrajectoryDatasetWriter.partialPath(for: path)
        let writer = try TrajectoryDatasetWriter(path: path, metadata: Self.metadata, dimension: 2, times: environment.times,
                                                 chunkEpisodes: 3)
        try writer.append(contentsOf: episodes)                 // one commit of 3, one episode buffered
        #expect(TrajectoryDatasetWriter.isBeingWritten(partialPath: partial))
        do {
            _ = try TrajectoryDatasetWriter.recover(partialPath: partial)
            Issue.record("a live writer's partial file was recovered")
        } catch {
            #expect("\(error)".contains("is being written right now by a running writer"), "\(error)")
        }
        #expect(FileManager.default.fileExists(atPath: partial) && !FileManager.default.fileExists(atPath: path))
        do {
            _ = try TrajectoryDataset(path: path)
            Issue.record("a missing dataset opened")
        } catch {
            #expect("\(error)".contains("being written right now") && "\(error)".contains("Wait for its writer"), "\(error)")
        }

        #expect(writer.abandon() == 3)
        #expect(!TrajectoryDatasetWriter.isBeingWritten(partialPath: partial))
        #expect(try TrajectoryDatasetWriter.recover(partialPath: partial).episodeCount == 3)
    }

    @Test("a finished writer holds nothing: its file is not reported as being written")
    func finishedWriterReleasesTheLock() throws {
        let (environment, episodes) = try Self.episodes(2)
        let path = try temporaryFolder("partial-lock-finish") + "/ring8.h5"
        let writer = try TrajectoryDatasetWriter(path: path, metadata: Self.metadata, dimension: 2, times: environment.times,
                                                 chunkEpisodes: 3)
        try writer.append(contentsOf: episodes)
        try writer.finish()
        #expect(!TrajectoryDatasetWriter.isBeingWritten(partialPath: path))
        #expect(try TrajectoryDataset(path: path).episodeCount == 2)
    }
}
