import Foundation
import HDF5

/// Streams episodes into a compact trajectory dataset (DESIGN.md §5):
///
///     /            attrs: format, format_version, environment, solver, estimator, time_grid, seed,
///                         toolkit_version, created_utc
///     /times        float64 (K+1,)        /observations float32 (N, K+1, D)
///     /actions      float32 (N, K, D)     /rewards      float32 (N, K, D)
///     /terminations bool (N, K)           /truncations  bool (N, K)
///     /values/<name> float32 (N, K+1, D)  /targets/<name> float32 (N, K, D)
///     /labels       int32 (N,)            /seeds        uint64 (N,)
///
/// Every per-episode dataset is extendible along N and chunked by `chunkEpisodes` episodes, with
/// shuffle + gzip and a Fletcher-32 checksum. Memory is bounded: at most `chunkEpisodes` episodes
/// are buffered (``bufferedEpisodeCount`` ≤ ``chunkEpisodes``), one chunk row per dataset is
/// appended when the buffer fills, and libhdf5's chunk cache is bounded per dataset — so writing
/// 100 000 episodes needs no more memory than writing one chunk's worth.
///
/// Writing is atomic: the file is built as `<path>.tmp` and renamed onto `<path>` by ``finish()``
/// after it is closed and fsync'ed; ``discard()`` (or a writer dropped without `finish`) removes the
/// temporary file, so a failure never leaves a partial file under the final name.
public final class TrajectoryDatasetWriter {
    /// The final path (the file is built at `<path>.tmp` until ``finish()``).
    public let path: String
    /// D.
    public let dimension: Int
    /// The K+1 descending times every episode must have.
    public let times: [Double]
    /// The per-state value names stored under `/values` (sorted).
    public let valueNames: [String]
    /// The per-transition target names stored under `/targets` (sorted).
    public let targetNames: [String]
    /// Whether every episode carries a label (stored as `/labels`).
    public let hasLabels: Bool
    /// Episodes per chunk and per buffered flush.
    public let chunkEpisodes: Int
    /// Episodes written so far (flushed or buffered).
    public private(set) var episodeCount = 0

    let temporaryPath: String
    private var file: HDF5File?
    private var buffer: EpisodeBlock
    private var datasets: [String: HDF5Dataset] = [:]

    /// Creates `<path>.tmp` and its datasets. `gzipLevel` nil stores the chunks uncompressed.
    public init(path: String, metadata: TrajectoryDatasetMetadata, dimension: Int, times: [Double],
                valueNames: [String] = [], targetNames: [String] = [], hasLabels: Bool = false,
                chunkEpisodes: Int = 1024, gzipLevel: Int? = 4, fletcher32: Bool = true) throws {
        guard chunkEpisodes >= 1 else { throw ReplayError("chunkEpisodes must be ≥ 1, got \(chunkEpisodes)") }
        for name in valueNames + targetNames where name.isEmpty || name.contains("/") {
            throw ReplayError("value and target names become dataset names: '\(name)' must be non-empty and contain no '/'")
        }
        let probe = try Episode(dimension: dimension, times: times,
                                observations: [Float](repeating: 0, count: times.count * dimension),
                                actions: [Float](repeating: 0, count: (times.count - 1) * dimension),
                                rewards: [Float](repeating: 0, count: (times.count - 1) * dimension),
                                terminations: [Bool](repeating: false, count: times.count - 1),
                                truncations: [Bool](repeating: false, count: times.count - 1), seed: 0)
        self.path = path
        self.dimension = dimension
        self.times = probe.times
        self.valueNames = valueNames.sorted()
        self.targetNames = targetNames.sorted()
        self.hasLabels = hasLabels
        self.chunkEpisodes = chunkEpisodes
        self.temporaryPath = path + ".tmp"
        self.buffer = EpisodeBlock(dimension: dimension, steps: times.count - 1, valueNames: self.valueNames,
                                   targetNames: self.targetNames, hasLabels: hasLabels, capacity: chunkEpisodes)
        try? FileManager.default.removeItem(atPath: temporaryPath)
        do {
            let file = try HDF5File(temporaryPath, mode: .truncate)
            self.file = file
            try file.setAttribute("format", TrajectoryDatasetMetadata.format)
            try file.setAttribute("format_version", TrajectoryDatasetMetadata.formatVersion)
            try file.setAttribute("environment", metadata.environment)
            try file.setAttribute("solver", metadata.solver)
            try file.setAttribute("estimator", metadata.estimator)
            try file.setAttribute("time_grid", metadata.timeGrid)
            try file.setAttribute("seed", metadata.seed)
            try file.setAttribute("toolkit_version", metadata.toolkitVersion)
            try file.setAttribute("created_utc", metadata.createdUTC)
            try file.createDataset("times", values: times)
            let steps = times.count - 1
            func options(_ rowShape: [Int]) -> HDF5DatasetOptions {
                HDF5DatasetOptions(chunkShape: [chunkEpisodes] + rowShape, gzipLevel: gzipLevel, shuffle: gzipLevel != nil,
                                   fletcher32: fletcher32, maxShape: .unlimitedFirstAxis)
            }
            func make<T: HDF5Scalar>(_ name: String, _ type: T.Type, _ rowShape: [Int]) throws {
                datasets[name] = try file.createDataset(name, of: T.self, shape: [0] + rowShape, options: options(rowShape),
                                                        createIntermediateGroups: true)
            }
            try make("observations", Float.self, [steps + 1, dimension])
            try make("actions", Float.self, [steps, dimension])
            try make("rewards", Float.self, [steps, dimension])
            try make("terminations", Bool.self, [steps])
            try make("truncations", Bool.self, [steps])
            try make("seeds", UInt64.self, [])
            if hasLabels { try make("labels", Int32.self, []) }
            for name in self.valueNames { try make("values/" + name, Float.self, [steps + 1, dimension]) }
            for name in self.targetNames { try make("targets/" + name, Float.self, [steps, dimension]) }
        } catch {
            discard()
            throw error
        }
    }

    deinit { discard() }

    /// Episodes waiting in memory for the next chunk flush (never more than ``chunkEpisodes``).
    public var bufferedEpisodeCount: Int { buffer.count }

    /// Adds one episode; it must have this dataset's D, times, value and target names, and a label
    /// exactly when the dataset has labels. Flushes a chunk when the buffer is full.
    public func append(_ episode: Episode) throws {
        guard file != nil else { throw ReplayError("the writer for '\(path)' is finished or discarded; create a new one") }
        guard episode.dimension == dimension, episode.times == times else {
            throw ReplayError("episode with D = \(episode.dimension) and times \(episode.times) does not match the dataset's D = \(dimension) and times \(times)")
        }
        guard episode.values.count == valueNames.count, episode.targets.count == targetNames.count,
              valueNames.allSatisfy({ episode.values[$0] != nil }), targetNames.allSatisfy({ episode.targets[$0] != nil })
        else {
            throw ReplayError("episode has values \(episode.values.keys.sorted()) and targets \(episode.targets.keys.sorted()); the dataset stores values \(valueNames) and targets \(targetNames)")
        }
        guard (episode.label != nil) == hasLabels else {
            throw ReplayError(hasLabels ? "the dataset stores labels but the episode has none" : "the episode has a label but the dataset was created with hasLabels: false")
        }
        buffer.append(episode)
        episodeCount += 1
        if buffer.count == chunkEpisodes { try flush() }
    }

    /// Adds several episodes in order.
    public func append(contentsOf episodes: some Sequence<Episode>) throws {
        for episode in episodes { try append(episode) }
    }

    /// Writes the buffered episodes (one hyperslab append per dataset) and empties the buffer.
    func flush() throws {
        guard buffer.count > 0 else { return }
        try datasets["observations"]!.append(buffer.observations)
        try datasets["actions"]!.append(buffer.actions)
        try datasets["rewards"]!.append(buffer.rewards)
        try datasets["terminations"]!.append(buffer.terminations)
        try datasets["truncations"]!.append(buffer.truncations)
        try datasets["seeds"]!.append(buffer.seeds)
        if hasLabels { try datasets["labels"]!.append(buffer.labels) }
        for name in valueNames { try datasets["values/" + name]!.append(buffer.values[name]!) }
        for name in targetNames { try datasets["targets/" + name]!.append(buffer.targets[name]!) }
        buffer.removeAll()
    }

    /// Flushes, closes, fsyncs and renames `<path>.tmp` onto `<path>`. On failure the temporary
    /// file is removed and any existing file at `path` is left untouched.
    public func finish() throws {
        guard let file else { throw ReplayError("the writer for '\(path)' is already finished or discarded") }
        do {
            try flush()
            datasets.removeAll()
            try file.close()
            self.file = nil
            try FileSystem.synchronizeFile(atPath: temporaryPath)
            guard rename(temporaryPath, path) == 0 else {
                throw ReplayError.dataset(path, "renaming the finished '\(temporaryPath)' into place failed: \(FileSystem.lastError())")
            }
            try FileSystem.synchronizeDirectory(of: path)
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the dataset: closes and removes `<path>.tmp` (nothing is ever written at `path`).
    public func discard() {
        datasets.removeAll()
        if let file { try? file.close() }
        if file != nil { try? FileManager.default.removeItem(atPath: temporaryPath) }
        file = nil
    }
}
