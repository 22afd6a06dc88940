import Foundation
import HDF5

/// Streams episodes into a compact trajectory dataset (DESIGN.md §5):
///
///     /            attrs: format, format_version, environment, solver, estimator, time_grid, seed,
///                         toolkit_version, created_utc, episode_count, complete
///     /times        float64 (K+1,)        /observations float32 (N, K+1, D)
///     /actions      float32 (N, K, D)     /rewards      float32 (N, K, D)
///     /terminations bool (N, K)           /truncations  bool (N, K)
///     /values/<name> float32 (N, K+1, D)  /targets/<name> float32 (N, K, D)
///     /labels       int32 (N,)            /seeds        uint64 (N,)
///
/// Rows past an episode's end are padding (held points, zero rewards). A step the non-finite guard
/// cut (``DenoisingStep``) is stored as it happened: `/actions` row k and `/observations` row k+1
/// hold the policy's non-finite output, `/rewards` row k is 0 and `/truncations` is true, and such a
/// step is not a transition (``Episode/length`` L stops before it). Readers must not assume every
/// stored row is finite; observation rows 0…L and action and reward rows 0..<L of a rollout are.
///
/// Every per-episode dataset is extendible along N and chunked by `chunkEpisodes` episodes, with
/// shuffle + gzip and a Fletcher-32 checksum. Memory is bounded: at most `chunkEpisodes` episodes
/// are buffered (``bufferedEpisodeCount`` ≤ ``chunkEpisodes``), one chunk row per dataset is
/// appended when the buffer fills, and libhdf5's chunk cache is bounded per dataset — so writing
/// 100 000 episodes needs no more memory than writing one chunk's worth.
///
/// **How chunks are written.** Gzip dominates the cost, and libhdf5 runs its filters with zlib
/// inside its one-call-at-a-time lock. So a commit encodes the chunks itself — shuffle, gzip,
/// Fletcher-32, exactly the pipeline of the datasets (``HDF5ChunkCodec``), gzip by libdeflate at the
/// dataset's level (about 1.7× less processor time than zlib here, a slightly smaller file) —
/// spreading the chunks over ``encodingThreads`` threads, and then stores them one after another
/// with `H5Dwrite_chunk` (``HDF5Dataset/appendEncodedRows(_:)``). Commits start on chunk
/// boundaries, so each writes new chunks only; the last one's partial chunk is padded with zeros,
/// as libhdf5 stores edge chunks. The format is unchanged — same layout, filters and levels; any
/// reader (libhdf5, h5py) inflates and checks the chunks as before — and the bytes do not depend on
/// the thread count. A dataset whose pipeline the codec does not reproduce would fall back to
/// libhdf5's filtered hyperslab appends.
///
/// **Atomic final name.** The file is built as `<path>.partial` (``partialPath``) and renamed onto
/// `<path>` by ``finish()`` after it is closed and fsync'ed; ``discard()`` (or a writer dropped
/// without `finish`) removes the partial file, so nothing is ever left under the final name unless
/// it is complete. The final file carries `complete = true` and `episode_count = N`. A write that
/// fails part-way (``abandon()``, and a failed ``finish()``) keeps the partial file when it holds
/// committed episodes, as a crash would, so they are not lost.
///
/// **A failed commit ends the write.** A commit that throws (some datasets extended and others not,
/// or a flush failing after every dataset was extended) leaves the file in a state no later commit
/// can repair, so the writer is then *failed*: ``append(_:)`` and ``finish()`` throw, saying so, and
/// never publish anything at `path`. ``abandon()`` keeps the episodes of the earlier, complete
/// commits in `<path>.partial` for ``recover(partialPath:to:)``, which keeps only rows every dataset
/// holds and whose chunks are intact; ``discard()`` removes the file.
///
/// **Crash safety: the flush interval is `chunkEpisodes` episodes.** Every time the buffer fills
/// (and in `finish`) the writer *commits*: it appends the chunk to every dataset, `H5Fflush`es (the
/// chunks, the chunk indexes and the new extents reach the file), then records the new count in the
/// root attribute `episode_count` and `H5Fflush`es again. So when the process dies — `kill -9`, the
/// OOM killer, a crash — `<path>.partial` stays behind as a valid HDF5 file with `complete = false`
/// that holds every episode of every completed commit: at most the ``chunkEpisodes`` episodes
/// appended since the last commit are lost (``committedEpisodeCount`` says how many are safe).
/// ``recover(partialPath:to:)`` validates such a file and publishes its committed episodes under the
/// final name; ``TrajectoryDataset`` refuses to read a partial file and points at it when the
/// final file is missing. Process crashes leave the data in the page cache, which the kernel writes
/// out; surviving a power loss as well would need an fsync per commit, which the writer does not do.
///
/// **Why `H5Fflush` commits, not SWMR or close-and-reopen.** This machine's libhdf5 is 1.10.8.
/// After `H5Fflush` the file on disk is consistent (metadata written, end-of-allocation recorded,
/// the file truncated to it), and until the next flush libhdf5 only writes raw chunks into new
/// space past that end — the metadata cache (≥ 1 MB) never fills with this layout's few hundred
/// bytes of dirty metadata, so nothing older is overwritten. Closing and reopening the file at every
/// commit gives the same on-disk state at a higher cost (two opens and ~10 dataset opens per chunk).
/// SWMR (`H5F_LIBVER_LATEST` + `H5Fstart_swmr_write`) orders metadata writes so that even a crash
/// *inside* a flush leaves a readable file, but it changes the on-disk format (superblock v3,
/// extensible-array chunk indexes, unreadable by HDF5 < 1.10), forbids changing attributes while
/// writing, and leaves a status flag that every reader must clear (`h5clear`) before opening the
/// file after a crash. The committed count protects the one window the flush approach has — a kill
/// *during* the first flush of a commit: `episode_count` still names the previous commit, and
/// recovery checks that each of those episodes' chunks is allocated and passes its Fletcher-32
/// checksum, truncating at the first that does not.
public final class TrajectoryDatasetWriter {
    /// The final path (the file is built at ``partialPath`` until ``finish()``).
    public let path: String
    /// `<path>.partial`: where the dataset is built, and what a crash leaves behind.
    public var partialPath: String { workingPath }
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
    /// Episodes per chunk and per commit: the flush interval, the most a crash can lose.
    public let chunkEpisodes: Int
    /// Episodes written so far (committed or buffered).
    public private(set) var episodeCount = 0
    /// Episodes committed to the partial file: a crash from now on leaves at least these.
    public private(set) var committedEpisodeCount = 0

    /// The suffix of the file a dataset is built in (and a crash leaves behind).
    public static let partialSuffix = ".partial"

    /// `<path>.partial`, the working file of a writer for `path`.
    public static func partialPath(for path: String) -> String { path + partialSuffix }

    let workingPath: String
    /// Set by recovery: the final file is marked `complete = false` with `recovered_from`.
    var recoveredFrom: String?
    /// The error of a commit that failed part-way; once set, only ``abandon()`` and ``discard()`` work.
    private var commitFailure: (any Error)?
    private var file: HDF5File?
    /// Held from creating the partial file until the writer finishes, abandons or discards it.
    private var partialLock: PartialFileLock?
    private var buffer: EpisodeBlock
    private var datasets: [String: HDF5Dataset] = [:]
    /// Every per-episode dataset, in the order a commit writes them.
    private var datasetNames: [String] = []
    /// Each dataset's chunk codec, or nil when one of them cannot take direct chunk writes.
    private(set) var directCodecs: [String: HDF5ChunkCodec]?

    /// How a commit stores its chunks.
    enum ChunkWriteMethod {
        /// Encoded by the writer (on ``encodingThreads`` threads) and stored with `H5Dwrite_chunk`,
        /// when every dataset's pipeline allows it (see ``HDF5Dataset/chunkCodec(for:)``).
        case direct
        /// Hyperslab appends filtered by libhdf5, one call at a time.
        case hyperslab
    }

    /// The method commits use (tests compare the two; both store the same values).
    var chunkWrites = ChunkWriteMethod.direct

    /// Threads that encode (shuffle, gzip, Fletcher-32) the chunks of a commit, ≥ 1. Only the
    /// encoding runs in parallel — libhdf5 is called from one thread at a time — and the bytes
    /// written are the same for every thread count. Default: the active processor count, at most 4.
    public var encodingThreads = min(max(1, ProcessInfo.processInfo.activeProcessorCount), 4) {
        didSet { encodingThreads = max(1, encodingThreads) }
    }

    /// Creates `<path>.partial` and its datasets. `gzipLevel` nil stores the chunks uncompressed.
    /// Throws when `<path>.partial` exists: it is either another writer's file or what a crash left
    /// behind (recover it with ``recover(partialPath:to:)`` or remove it). Value and target names
    /// become dataset names (`/values/<name>`, `/targets/<name>`): each must be non-empty, contain no
    /// '/', and appear once in its list (a value and a target may share a name).
    public convenience init(path: String, metadata: TrajectoryDatasetMetadata, dimension: Int, times: [Double],
                            valueNames: [String] = [], targetNames: [String] = [], hasLabels: Bool = false,
                            chunkEpisodes: Int = 1024, gzipLevel: Int? = 4, fletcher32: Bool = true) throws {
        try self.init(path: path, workingPath: Self.partialPath(for: path), metadata: metadata, dimension: dimension,
                      times: times, valueNames: valueNames, targetNames: targetNames, hasLabels: hasLabels,
                      chunkEpisodes: chunkEpisodes, gzipLevel: gzipLevel, fletcher32: fletcher32)
    }

    /// The writer building its file at `workingPath` (recovery builds at `<path>.recovering`).
    init(path: String, workingPath: String, metadata: TrajectoryDatasetMetadata, dimension: Int, times: [Double],
         valueNames: [String], targetNames: [String], hasLabels: Bool,
         chunkEpisodes: Int, gzipLevel: Int?, fletcher32: Bool) throws {
        guard chunkEpisodes >= 1 else { throw ReplayError("chunkEpisodes must be ≥ 1, got \(chunkEpisodes)") }
        for name in valueNames + targetNames where name.isEmpty || name.contains("/") {
            throw ReplayError("value and target names become dataset names: '\(name)' must be non-empty and contain no '/'")
        }
        for (kind, names) in [("value", valueNames), ("target", targetNames)] {
            var seen = Set<String>()
            if let duplicate = names.first(where: { !seen.insert($0).inserted }) {
                throw ReplayError("the \(kind) names \(names) list '\(duplicate)' more than once; each \(kind) name becomes the "
                                  + "dataset '/\(kind)s/\(duplicate)' and must appear once")
            }
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
        self.workingPath = workingPath
        self.buffer = EpisodeBlock(dimension: dimension, steps: times.count - 1, valueNames: self.valueNames,
                                   targetNames: self.targetNames, hasLabels: hasLabels, capacity: chunkEpisodes)
        if FileManager.default.fileExists(atPath: workingPath) {
            throw ReplayError.dataset(path, TrajectoryRecoveryMessages.partialExists(workingPath))
        }
        do {
            let file: HDF5File
            do { file = try HDF5File(workingPath, mode: .exclusive) } catch {
                if FileManager.default.fileExists(atPath: workingPath) {
                    throw ReplayError.dataset(path, TrajectoryRecoveryMessages.partialExists(workingPath))
                }
                throw error
            }
            self.file = file
            guard let lock = PartialFileLock.acquire(workingPath) else {
                throw ReplayError.dataset(path, "cannot lock the new '\(workingPath)' for writing (PartialFileLock)")
            }
            partialLock = lock
            try file.setAttribute("format", TrajectoryDatasetMetadata.format)
            try file.setAttribute("format_version", TrajectoryDatasetMetadata.formatVersion)
            try file.setAttribute("environment", metadata.environment)
            try file.setAttribute("solver", metadata.solver)
            try file.setAttribute("estimator", metadata.estimator)
            try file.setAttribute("time_grid", metadata.timeGrid)
            try file.setAttribute("seed", metadata.seed)
            try file.setAttribute("toolkit_version", metadata.toolkitVersion)
            try file.setAttribute("created_utc", metadata.createdUTC)
            try file.setAttribute(TrajectoryDatasetMetadata.episodeCountAttribute, Int64(0))
            try file.setAttribute(TrajectoryDatasetMetadata.completeAttribute, false)
            try file.createDataset("times", values: times)
            let steps = times.count - 1
            func options(_ rowShape: [Int]) -> HDF5DatasetOptions {
                HDF5DatasetOptions(chunkShape: [chunkEpisodes] + rowShape, gzipLevel: gzipLevel, shuffle: gzipLevel != nil,
                                   fletcher32: fletcher32, maxShape: .unlimitedFirstAxis)
            }
            var codecs: [String: HDF5ChunkCodec]? = [:]
            func make<T: HDF5Scalar>(_ name: String, _ type: T.Type, _ rowShape: [Int]) throws {
                let dataset = try file.createDataset(name, of: T.self, shape: [0] + rowShape, options: options(rowShape),
                                                     createIntermediateGroups: true)
                datasets[name] = dataset
                datasetNames.append(name)
                if let codec = try dataset.chunkCodec(for: T.self) { codecs?[name] = codec } else { codecs = nil }
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
            directCodecs = codecs
            try file.flush()      // an empty but valid partial file from the start
        } catch {
            discard()
            throw error
        }
    }

    deinit { discard() }

    /// Episodes waiting in memory for the next commit (never more than ``chunkEpisodes``).
    public var bufferedEpisodeCount: Int { buffer.count }

    /// Adds one episode; it must have this dataset's D, times, value and target names, and a label
    /// exactly when the dataset has labels. Commits a chunk when the buffer is full. Throws without
    /// adding anything once a commit has failed (see the type's documentation).
    public func append(_ episode: Episode) throws {
        guard file != nil else { throw ReplayError("the writer for '\(path)' is finished or discarded; create a new one") }
        try requireNoFailedCommit()
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
        if buffer.count >= chunkEpisodes { try flush() }
    }

    /// Throws when a commit failed earlier: the file may hold half of that commit, so the writer can
    /// neither go on nor finish; the error says what ``abandon()`` and ``discard()`` do with the file.
    private func requireNoFailedCommit() throws {
        guard let commitFailure else { return }
        let keep = committedEpisodeCount > 0 && recoveredFrom == nil
            ? "abandon() keeps the \(committedEpisodeCount) episodes of the earlier commits in '\(workingPath)' "
                + "(publish them with `consistency-td inspect --recover \(workingPath)`); discard() removes it"
            : "no commit completed before it, so abandon() and discard() both remove '\(workingPath)'"
        throw ReplayError.dataset(path, "the writer failed earlier, in the commit of episodes \(committedEpisodeCount)..<"
                                  + "\(committedEpisodeCount + buffer.count) (\(Self.oneLine(commitFailure))), so it cannot append or "
                                  + "finish: nothing will be published at '\(path)'. \(keep)")
    }

    /// `error`'s description on one line (libhdf5's error stack follows on further lines).
    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
    }

    /// Adds several episodes in order.
    public func append(contentsOf episodes: some Sequence<Episode>) throws {
        for episode in episodes { try append(episode) }
    }

    /// Commits the buffered episodes: one append per dataset, `H5Fflush`, then the new
    /// `episode_count` and a second `H5Fflush` (see the type's documentation), and empties the buffer.
    ///
    /// The appends are direct chunk writes when every dataset's pipeline allows them and the commit
    /// starts on a chunk boundary (always, as commits are whole chunks but the last): the chunks of
    /// all datasets are encoded on ``encodingThreads`` threads, then written one after another in a
    /// fixed order. Otherwise each dataset gets a hyperslab append through libhdf5's filters.
    ///
    /// Any error marks the writer failed (see the type's documentation).
    func flush() throws {
        guard buffer.count > 0, let file else { return }
        try requireNoFailedCommit()
        do { try commit(file) } catch {
            commitFailure = error
            throw error
        }
    }

    /// The body of ``flush()``.
    private func commit(_ file: HDF5File) throws {
        if let codecs = directCodecs, chunkWrites == .direct, committedEpisodeCount % chunkEpisodes == 0 {
            let encoded = try encodeBuffer(codecs)
            for (name, rows) in zip(datasetNames, encoded) { try datasets[name]!.appendEncodedRows(rows) }
        } else {
            try datasets["observations"]!.append(buffer.observations)
            try datasets["actions"]!.append(buffer.actions)
            try datasets["rewards"]!.append(buffer.rewards)
            try datasets["terminations"]!.append(buffer.terminations)
            try datasets["truncations"]!.append(buffer.truncations)
            try datasets["seeds"]!.append(buffer.seeds)
            if hasLabels { try datasets["labels"]!.append(buffer.labels) }
            for name in valueNames { try datasets["values/" + name]!.append(buffer.values[name]!) }
            for name in targetNames { try datasets["targets/" + name]!.append(buffer.targets[name]!) }
        }
        let committed = committedEpisodeCount + buffer.count
        try file.flush()
        try file.overwriteAttribute(TrajectoryDatasetMetadata.episodeCountAttribute, Int64(committed))
        try file.flush()
        committedEpisodeCount = committed
        buffer.removeAll()
    }

    /// The buffered rows of every dataset, in ``datasetNames`` order, encoded as stored chunks. Pure
    /// work on ``encodingThreads`` threads; no libhdf5 call. (The blocks share the buffer's arrays
    /// and are gone when this returns, so emptying the buffer afterwards copies nothing.)
    private func encodeBuffer(_ codecs: [String: HDF5ChunkCodec]) throws -> [HDF5EncodedRows] {
        let blocks: [HDF5RowBlock] = try datasetNames.map { name in
            let codec = codecs[name]!
            switch name {
            case "observations": return try HDF5RowBlock(buffer.observations, codec: codec)
            case "actions": return try HDF5RowBlock(buffer.actions, codec: codec)
            case "rewards": return try HDF5RowBlock(buffer.rewards, codec: codec)
            case "terminations": return try HDF5RowBlock(buffer.terminations, codec: codec)
            case "truncations": return try HDF5RowBlock(buffer.truncations, codec: codec)
            case "seeds": return try HDF5RowBlock(buffer.seeds, codec: codec)
            case "labels": return try HDF5RowBlock(buffer.labels, codec: codec)
            default:
                if name.hasPrefix("values/") { return try HDF5RowBlock(buffer.values[String(name.dropFirst(7))]!, codec: codec) }
                return try HDF5RowBlock(buffer.targets[String(name.dropFirst(8))]!, codec: codec)
            }
        }
        do {
            return try HDF5RowBlock.encode(blocks, threads: encodingThreads)
        } catch {
            throw ReplayError.dataset(path, "encoding the chunks of episodes \(committedEpisodeCount)..<\(committedEpisodeCount + buffer.count) failed, nothing of them was written: \(error)")
        }
    }

    /// Commits the rest, marks the file complete, closes, fsyncs and renames `<path>.partial` onto
    /// `<path>`. Any existing file at `path` is left untouched on failure. A failure before the file is
    /// complete ends the write like ``abandon()``: the episodes of earlier commits stay in
    /// `<path>.partial` for ``recover(partialPath:to:)``, and the error says how many and how.
    ///
    /// After a failed commit it throws at once and changes nothing: end the write with ``abandon()``
    /// (keeps the committed episodes) or ``discard()``.
    public func finish() throws {
        guard let file else { throw ReplayError("the writer for '\(path)' is already finished or discarded") }
        try requireNoFailedCommit()
        var markedComplete = false, isComplete = false
        do {
            try flush()
            if let recoveredFrom {
                try file.setAttribute(TrajectoryDatasetMetadata.recoveredFromAttribute, recoveredFrom)
            } else {
                try file.overwriteAttribute(TrajectoryDatasetMetadata.completeAttribute, true)
                markedComplete = true
            }
            datasets.removeAll()
            try file.close()
            self.file = nil
            isComplete = recoveredFrom == nil
            try FileSystem.synchronizeFile(atPath: workingPath)
            guard rename(workingPath, path) == 0 else {
                throw ReplayError.dataset(path, "renaming the finished '\(workingPath)' into place failed: \(FileSystem.lastError())")
            }
            releasePartialLock()
            do { try FileSystem.synchronizeDirectory(of: path) } catch {
                throw ReplayError.dataset(path, "the finished dataset is in place, but syncing its folder failed (a power loss could still "
                                          + "undo the rename): \(error)")
            }
        } catch let error where partialLock == nil {
            throw error                               // published: only the folder sync failed
        } catch {
            if isComplete, FileManager.default.fileExists(atPath: workingPath) {
                releasePartialLock()
                throw ReplayError("\(error) — the finished dataset (\(committedEpisodeCount) episodes, complete) is '\(workingPath)'; "
                                  + "move it to '\(path)' yourself, or remove it")
            }
            if self.file == nil && !isComplete { self.file = file }
            let kept = abandon()
            if markedComplete && kept > 0 {
                // Closing failed after the file was marked complete: on disk it may say either.
                throw ReplayError("\(error) — closing '\(workingPath)' failed after it was marked complete, so it may be damaged; "
                                  + "`consistency-td inspect \(workingPath)` tells: move it to '\(path)' if it reads as complete, "
                                  + "else recover its committed episodes with `consistency-td inspect --recover \(workingPath)`")
            }
            throw Self.keptEpisodesError(error, kept: kept, partialPath: workingPath)
        }
    }

    /// Ends a write that cannot go on (a failed rollout, a full disk): closes `<path>.partial` and keeps
    /// it when earlier commits stored episodes in it — `complete = false`, exactly what a crash leaves,
    /// so ``recover(partialPath:to:)`` (`consistency-td inspect --recover`) publishes them — or removes
    /// it when they stored none. Returns the number of episodes kept (0: nothing is left on disk).
    /// Use ``discard()`` to drop committed episodes as well.
    @discardableResult
    public func abandon() -> Int {
        guard let file else { return 0 }
        guard committedEpisodeCount > 0, recoveredFrom == nil else {
            discard()
            return 0
        }
        datasets.removeAll()
        buffer.removeAll()
        try? file.close()
        self.file = nil
        releasePartialLock()
        return committedEpisodeCount
    }

    private func releasePartialLock() {
        partialLock?.release()
        partialLock = nil
    }

    /// True when a live writer (or a recovery) is writing the partial file at `partialPath` right now:
    /// it holds the file's ``PartialFileLock``. A partial file nobody holds was left by a writer that
    /// stopped (a crash, `kill -9`, an abandoned export) and can be recovered.
    public static func isBeingWritten(partialPath: String) -> Bool {
        PartialFileLock.isHeld(partialPath)
    }

    /// `error`, unchanged when no episode was kept, else a ``ReplayError`` that adds where the `kept`
    /// committed episodes are and how to publish them.
    public static func keptEpisodesError(_ error: any Error, kept: Int, partialPath: String) -> any Error {
        guard kept > 0 else { return error }
        return ReplayError("\(error) — the \(kept) episodes committed before the failure are kept in '\(partialPath)'; "
                           + "publish them with `consistency-td inspect --recover \(partialPath)` "
                           + "(TrajectoryDatasetWriter.recover(partialPath:)), or remove it")
    }

    /// Abandons the dataset: closes and removes `<path>.partial` (nothing is ever written at `path`).
    public func discard() {
        datasets.removeAll()
        if let file { try? file.close() }
        if file != nil { try? FileManager.default.removeItem(atPath: workingPath) }
        file = nil
        releasePartialLock()
    }
}
