import Foundation
import HDF5

/// What ``TrajectoryDatasetWriter/recover(partialPath:to:)`` did.
public struct TrajectoryRecovery: Equatable, Sendable, CustomStringConvertible {
    /// The partial file that was recovered (removed once the recovered dataset is in place, or kept
    /// as ``damagedCopyPath`` when recovery stopped at damage).
    public let partialPath: String
    /// The recovered dataset (a ``TrajectoryDataset`` with `isComplete == false`).
    public let path: String
    /// Episodes in the recovered dataset: the committed count, less any committed rows whose chunks
    /// turned out unallocated or damaged (see ``truncatedAtDamage``).
    public let episodeCount: Int
    /// The `episode_count` commit record of the partial file.
    public let committedEpisodeCount: Int
    /// The most rows any per-episode dataset of the partial file held (rows past the commit record
    /// belong to a commit the crash interrupted and are dropped).
    public let storedRows: Int
    /// True when a committed chunk was missing or failed its checksum, so fewer than
    /// ``committedEpisodeCount`` episodes were kept.
    public let truncatedAtDamage: Bool
    /// Where the partial file was kept, byte for byte, when ``truncatedAtDamage``: `<partial>.damaged`
    /// (committed episodes after the damaged chunk may still be intact there). Nil otherwise: the
    /// partial file was removed.
    public let damagedCopyPath: String?

    /// `<partialPath>.damaged`, where recovery keeps a partial file it had to cut at damage.
    public static func damagedCopyPath(for partialPath: String) -> String { partialPath + ".damaged" }

    /// One line: how many episodes were recovered from where to where, and where a damaged partial file was kept.
    public var description: String {
        var line = "recovered \(episodeCount) of the \(committedEpisodeCount) committed episodes of '\(partialPath)' into '\(path)'"
        if let damagedCopyPath {
            line += "; a committed chunk was missing or failed its checksum, so the recovered dataset stops before it and "
                + "the partial file is kept as '\(damagedCopyPath)' (episodes after the damage may still be read from it)"
        }
        return line
    }
}

extension TrajectoryDatasetWriter {
    /// Recovers the partial file a crashed writer left (`<path>.partial`, `complete = false`): checks
    /// its layout, keeps N = min(`episode_count`, the rows of every per-episode dataset) episodes,
    /// shortened further to the first committed chunk that is unallocated (``HDF5ChunkStorage``) or
    /// fails its Fletcher-32 checksum, copies those episodes — every per-episode dataset the same N —
    /// into a fresh dataset with the partial file's chunking and filters, marks it `complete = false`,
    /// `episode_count = N`, `recovered_from = <partial path>`, publishes it atomically at `path`
    /// (default: the partial path without `.partial`), and removes the partial file — unless recovery
    /// stopped at damage (``TrajectoryRecovery/truncatedAtDamage``): then committed episodes after the
    /// damaged chunk may still be intact, so the partial file is kept, unchanged, as
    /// `<partial path>.damaged` (``TrajectoryRecovery/damagedCopyPath``). Recovery refuses, before
    /// publishing anything, when it would need that name and a file has it.
    ///
    /// Never replaces an existing file at `path` (or `<partial path>.damaged`); on any failure the
    /// partial file is left as it was.
    /// The recovered episodes are bit-identical to the first N episodes an uninterrupted writer
    /// would have stored.
    @discardableResult
    public static func recover(partialPath: String, to path: String? = nil) throws -> TrajectoryRecovery {
        let destination: String
        if let path {
            destination = path
        } else {
            guard partialPath.hasSuffix(partialSuffix), partialPath.count > partialSuffix.count else {
                throw ReplayError.dataset(partialPath, "the name does not end in '\(partialSuffix)', so the final name is unknown; pass `to:` the path to publish the recovered dataset at")
            }
            destination = String(partialPath.dropLast(partialSuffix.count))
        }
        guard FileManager.default.fileExists(atPath: partialPath) else { throw ReplayError.dataset(partialPath, "no such file to recover") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ReplayError.dataset(destination, "exists already; recovery never replaces a file. Move it away or pass another destination for '\(partialPath)'")
        }
        // A live writer holds the partial file's lock; recovering its file would publish a truncated
        // dataset and delete the file under it. Holding the lock also keeps two recoveries apart.
        guard let lock = PartialFileLock.acquire(partialPath) else {
            throw ReplayError.dataset(partialPath, PartialFileLock.isHeld(partialPath)
                ? "is being written right now by a running writer (or recovered by another process); recover only a partial file whose writer has stopped"
                : "cannot be opened: \(FileSystem.lastError())")
        }
        defer { lock.release() }
        let file: HDF5File
        do { file = try HDF5File(partialPath, mode: .readOnly) } catch {
            throw ReplayError.dataset(partialPath, "cannot be opened as HDF5, so nothing can be recovered: \(error)")
        }
        defer { try? file.close() }
        let metadata = try TrajectoryDatasetMetadata.read(from: file, path: partialPath)
        let state = try TrajectoryWriteState.read(from: file, path: partialPath)
        guard state.isPartial else {
            throw ReplayError.dataset(partialPath, state.isComplete
                ? "is a finished dataset (complete = true), not a partial one; rename it instead of recovering it"
                : "is already a recovered dataset (recovered_from '\(state.recoveredFrom ?? "")'); rename it instead")
        }
        guard let committed = state.committedEpisodes else {
            throw ReplayError.dataset(partialPath, "has no 'episode_count' commit record, so its complete episodes cannot be told apart")
        }

        // The layout, with N taken per dataset (a crash inside a commit can leave them unequal).
        let layout = TrajectoryLayoutCheck(file: file, path: partialPath)
        let times = try layout.times()
        let steps = times.count - 1
        let observationShape = try layout.shape("observations", Float.self, rank: 3)
        let dimension = observationShape[2]
        guard observationShape[1] == steps + 1, dimension > 0 else {
            throw ReplayError.dataset(partialPath, "observations has shape \(observationShape); expected (N, \(steps + 1), D ≥ 1)")
        }
        let hasLabels = try file.contains("labels")
        let valueNames = try layout.members(of: "values"), targetNames = try layout.members(of: "targets")
        var rowShapes: [(String, [Int])] = [("observations", [steps + 1, dimension]), ("actions", [steps, dimension]),
                                            ("rewards", [steps, dimension]), ("terminations", [steps]),
                                            ("truncations", [steps]), ("seeds", [])]
        if hasLabels { rowShapes.append(("labels", [])) }
        rowShapes += valueNames.map { ("values/" + $0, [steps + 1, dimension]) }
        rowShapes += targetNames.map { ("targets/" + $0, [steps, dimension]) }
        var rows: [String: Int] = [:]
        for (name, rowShape) in rowShapes {
            let shape = try layout.dataset(name).shape()
            guard shape.count == rowShape.count + 1, Array(shape.dropFirst()) == rowShape else {
                throw ReplayError.dataset(partialPath, "'/\(name)' has shape \(shape); expected (N\(rowShape.map { ", \($0)" }.joined()))")
            }
            rows[name] = shape[0]
        }
        var count = min(committed, rows.values.min() ?? 0)

        // Settings of the partial file, kept by the recovered one.
        let observations = try layout.dataset("observations")
        guard let chunkEpisodes = try observations.chunkShape()?.first else {
            throw ReplayError.dataset(partialPath, "observations is not chunked; a TrajectoryDatasetWriter file always is")
        }
        let filters = try observations.filters()
        let gzipLevel = filters.compactMap { filter -> Int? in if case let .gzip(level) = filter { return level }; return nil }.first
        let fletcher32 = filters.contains(.fletcher32)

        // Every committed chunk must be allocated in every dataset (an unallocated one reads as zeros).
        var damaged = false
        for (name, rowShape) in rowShapes {
            let dataset = try layout.dataset(name)
            var first = 0
            while first < count {
                if try dataset.chunkStorage(at: [first] + rowShape.map { _ in 0 }) == nil {
                    count = first
                    damaged = true
                    break
                }
                first += chunkEpisodes
            }
        }

        // Copy chunk by chunk; a chunk that fails to read (checksum) ends the recovered range.
        let damagedCopy = TrajectoryRecovery.damagedCopyPath(for: partialPath)
        let workingPath = destination + ".recovering"
        try? FileManager.default.removeItem(atPath: workingPath)
        let writer = try TrajectoryDatasetWriter(
            path: destination, workingPath: workingPath, metadata: metadata, dimension: dimension, times: times,
            valueNames: valueNames, targetNames: targetNames, hasLabels: hasLabels, chunkEpisodes: chunkEpisodes,
            gzipLevel: gzipLevel, fletcher32: fletcher32)
        let reader = TrajectoryRows(file: file, path: partialPath, times: times, dimension: dimension, valueNames: valueNames,
                                    targetNames: targetNames, hasLabels: hasLabels)
        do {
            var first = 0
            while first < count {
                let episodes: [Episode]
                do { episodes = try reader.episodes(first..<min(first + chunkEpisodes, count)) } catch {
                    count = first
                    damaged = true
                    break
                }
                try writer.append(contentsOf: episodes)
                first += episodes.count
            }
            if FileManager.default.fileExists(atPath: destination) {
                throw ReplayError.dataset(destination, "appeared while recovering; recovery never replaces a file")
            }
            if damaged, FileManager.default.fileExists(atPath: damagedCopy) {
                throw ReplayError.dataset(partialPath, "a committed chunk is missing or fails its checksum, so recovery would keep "
                                          + "this file as '\(damagedCopy)', but that file exists and recovery never replaces a file. "
                                          + "Move '\(damagedCopy)' away and recover again; nothing was changed")
            }
            writer.recoveredFrom = partialPath
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        try? file.close()
        if damaged {
            try keepDamaged(partialPath, as: damagedCopy, recovered: destination)
        } else {
            try FileManager.default.removeItem(atPath: partialPath)
        }
        try FileSystem.synchronizeDirectory(of: destination)
        return TrajectoryRecovery(partialPath: partialPath, path: destination, episodeCount: count, committedEpisodeCount: committed,
                                  storedRows: rows.values.max() ?? 0, truncatedAtDamage: damaged,
                                  damagedCopyPath: damaged ? damagedCopy : nil)
    }

    /// Renames the recovered `partialPath` to `damagedCopy` without ever replacing a file there: a hard
    /// link then unlink (a file system without hard links gets a rename after checking the name is free).
    private static func keepDamaged(_ partialPath: String, as damagedCopy: String, recovered destination: String) throws {
        func failure(_ reason: String) -> ReplayError {
            ReplayError.dataset(partialPath, "the recovered dataset is in place at '\(destination)', but keeping this partial file "
                                + "(cut at a damaged chunk) as '\(damagedCopy)' failed: \(reason); it is still at '\(partialPath)' — "
                                + "rename it yourself, do not recover it again")
        }
        if link(partialPath, damagedCopy) == 0 {
            guard unlink(partialPath) == 0 else { throw failure("removing the old name failed: \(FileSystem.lastError())") }
        } else {
            let linkError = errno
            guard linkError != EEXIST else { throw failure("'\(damagedCopy)' appeared meanwhile and is never replaced") }
            guard !FileManager.default.fileExists(atPath: damagedCopy) else { throw failure("'\(damagedCopy)' exists") }
            guard rename(partialPath, damagedCopy) == 0 else { throw failure(FileSystem.lastError()) }
        }
        try FileSystem.synchronizeDirectory(of: damagedCopy)
    }
}

/// The messages that point users at a partial file and at recovery.
enum TrajectoryRecoveryMessages {
    /// "'<partial>' is a partial trajectory dataset left by a writer that did not finish (N committed episodes)".
    static func describePartial(_ partial: String) -> String {
        var count = "its episode count could not be read"
        if let file = try? HDF5File(partial, mode: .readOnly) {
            if let value = try? file.attribute(TrajectoryDatasetMetadata.episodeCountAttribute, as: Int64.self) {
                count = "\(value) committed episodes"
            }
            try? file.close()
        }
        if PartialFileLock.isHeld(partial) {
            return "'\(partial)' is a partial trajectory dataset being written right now by a running writer (\(count) so far)."
        }
        return "'\(partial)' is a partial trajectory dataset left by a writer that did not finish (\(count))."
    }

    /// How to recover a partial file or get rid of it (or, while its writer runs, to wait).
    static func howToRecover(_ partial: String) -> String {
        if PartialFileLock.isHeld(partial) { return "Wait for its writer to finish (or stop it) before recovering or removing it." }
        return "Recover its committed episodes with `consistency-td inspect --recover \(partial)` (TrajectoryDatasetWriter.recover(partialPath:)), or remove it."
    }

    /// The writer's refusal to start over an existing partial file.
    static func partialExists(_ partial: String) -> String {
        "cannot start writing: '\(partial)' exists — another writer is building this dataset, or one was interrupted. "
            + describePartial(partial) + " " + howToRecover(partial)
    }
}
