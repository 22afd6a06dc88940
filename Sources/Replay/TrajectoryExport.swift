import Environments

/// Exports N episodes of an environment under any policy to a compact trajectory dataset, with
/// per-state values (for example exact f*: ``StateValueFunction/exact(_:)``) and per-transition TD
/// targets attached when the rollout has them:
///
/// ```swift
/// let mdp = try DenoisingMDP(dimension: 2, grid: .karras(count: 19))
/// let mixture = try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)
/// let exact = try ExactValue(distribution: mixture)
/// let rollout = EpisodeRollout(environment: mdp, values: ["exact": .exact(exact)])
/// try TrajectoryExport.export(rollout: rollout, policy: SolverPolicy(solver: exact.solver, denoiser: mixture),
///                             episodeCount: 10_000, runSeed: 7, to: "ring8.h5", metadata: metadata)
/// ```
///
/// Episodes are rolled out `batchSize` at a time and streamed to a ``TrajectoryDatasetWriter``, so
/// memory stays bounded by one batch plus one chunk whatever N is; episode i always gets the seed
/// ``EpisodeRollout/episodeSeed(runSeed:index:)``. Under a fixed-step policy (Euler, Heun) the file
/// does not depend on `batchSize`; an adaptive policy (Dormand–Prince) chooses one step size per
/// batch, so its episodes agree across batch sizes to the solver's tolerance, not bit for bit.
public enum TrajectoryExport {
    /// Writes the dataset atomically to `path` and returns the number of episodes written. When the
    /// rollout or the write fails after some chunks were committed, those episodes stay in
    /// `<path>.partial` (``TrajectoryDatasetWriter/abandon()``) and the error says how to publish them.
    @discardableResult
    public static func export(
        rollout: EpisodeRollout, policy: some TransitionPolicy, episodeCount: Int, runSeed: UInt64, to path: String,
        metadata: TrajectoryDatasetMetadata, labels: ((Int) -> Int32)? = nil, batchSize: Int = 1024,
        chunkEpisodes: Int = 1024, gzipLevel: Int? = 4
    ) throws -> Int {
        guard episodeCount >= 1 else { throw ReplayError("export needs at least 1 episode, got \(episodeCount)") }
        guard batchSize >= 1 else { throw ReplayError("batchSize must be ≥ 1, got \(batchSize)") }
        guard metadata.seed == runSeed else {
            throw ReplayError("the metadata records seed \(metadata.seed) but the episodes are drawn with run seed \(runSeed); they must agree")
        }
        let environment = rollout.environment
        let writer = try TrajectoryDatasetWriter(
            path: path, metadata: metadata, dimension: environment.dimension, times: environment.times,
            valueNames: Array(rollout.values.keys), targetNames: Array(rollout.targets.keys), hasLabels: labels != nil,
            chunkEpisodes: chunkEpisodes, gzipLevel: gzipLevel)
        do {
            var first = 0
            while first < episodeCount {
                let count = min(batchSize, episodeCount - first)
                let batchLabels = labels.map { label in (first..<(first + count)).map(label) }
                try writer.append(contentsOf: rollout.run(policy: policy, runSeed: runSeed, first: first, count: count,
                                                          labels: batchLabels))
                first += count
            }
            try writer.finish()
        } catch {
            // A failed finish() has ended the write itself (abandon() then keeps nothing more).
            throw TrajectoryDatasetWriter.keptEpisodesError(error, kept: writer.abandon(), partialPath: writer.partialPath)
        }
        return episodeCount
    }
}
