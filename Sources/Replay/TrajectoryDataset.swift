import Foundation
import HDF5

/// A compact trajectory dataset opened for reading (layout in ``TrajectoryDatasetWriter``).
///
/// Opening validates everything a reader relies on and throws a ``ReplayError`` naming the file
/// and the problem: not HDF5, truncated, another `format`, a `format_version` other than 1, a
/// missing attribute or dataset, a group where a dataset belongs or a dataset where a group belongs
/// (`/values`, `/targets`), a wrong element type, or shapes that disagree (N across datasets,
/// K+1 with `/times`, D across observations, actions, rewards, values and targets). Episodes are
/// read by range with hyperslab reads (``episodes(_:)``), so slicing a large file reads only the
/// rows asked for; Fletcher-32 checksums are verified as chunks are read.
///
/// A file that a writer was still building when its process died (`<path>.partial`, root attribute
/// `complete = false` without `recovered_from`) is refused with a message that names it and says how
/// to recover it (``TrajectoryDatasetWriter/recover(partialPath:to:)``); so is a missing `<path>`
/// next to which such a partial file exists. A recovered file opens normally, with ``isComplete``
/// false and ``recoveredFrom`` naming the partial file it came from.
public final class TrajectoryDataset {
    /// The file read.
    public let path: String
    /// The root attributes (provenance).
    public let metadata: TrajectoryDatasetMetadata
    /// N, the number of episodes.
    public let episodeCount: Int
    /// D.
    public let dimension: Int
    /// The K+1 times, descending.
    public let times: [Double]
    /// The names under `/values`, sorted.
    public let valueNames: [String]
    /// The names under `/targets`, sorted.
    public let targetNames: [String]
    /// Whether `/labels` is present.
    public let hasLabels: Bool
    /// False for a dataset recovered from a crashed writer's partial file (it may hold fewer episodes
    /// than were meant to be written); true for a finished one (and for files written before the
    /// `complete` attribute existed).
    public let isComplete: Bool
    /// The partial file a recovered dataset was made from (the `recovered_from` attribute), else nil.
    public let recoveredFrom: String?
    private let file: HDF5File

    /// Opens and validates the dataset at `path` (see the type's documentation for what is checked).
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            let partial = TrajectoryDatasetWriter.partialPath(for: path)
            if FileManager.default.fileExists(atPath: partial) {
                throw ReplayError.dataset(path, "no such file, but \(TrajectoryRecoveryMessages.describePartial(partial)) \(TrajectoryRecoveryMessages.howToRecover(partial))")
            }
            throw ReplayError.dataset(path, "no such file")
        }
        let file: HDF5File
        do {
            file = try HDF5File(path, mode: .readOnly)
        } catch let error as HDF5Error {
            let text = "\(error)"
            if text.lowercased().contains("truncated") {
                throw ReplayError.dataset(path, "the file is truncated (shorter than its HDF5 superblock records); it was not completely written or was cut. libhdf5: \(error.message)")
            }
            if error.kind == .notAnHDF5File {
                throw ReplayError.dataset(path, "not an HDF5 file (no HDF5 signature); expected a file written by TrajectoryDatasetWriter")
            }
            throw ReplayError.dataset(path, "cannot be opened as HDF5: \(text)")
        }
        self.file = file
        do {
            metadata = try TrajectoryDatasetMetadata.read(from: file, path: path)
            let state = try TrajectoryWriteState.read(from: file, path: path)
            if state.isPartial {
                throw ReplayError.dataset(path, "this is a partial trajectory dataset left by a writer that did not finish (\(state.committedEpisodes.map { "\($0) committed episodes" } ?? "episode count unknown")). \(TrajectoryRecoveryMessages.howToRecover(path))")
            }
            isComplete = state.isComplete
            recoveredFrom = state.recoveredFrom

            let layout = TrajectoryLayoutCheck(file: file, path: path)
            times = try layout.times()
            let steps = times.count - 1
            let observations = try layout.shape("observations", Float.self, rank: 3)
            episodeCount = observations[0]
            dimension = observations[2]
            guard observations[1] == steps + 1 else {
                throw ReplayError.dataset(path, "observations has shape \(observations) but /times has K+1 = \(steps + 1) entries; expected (N, \(steps + 1), D)")
            }
            guard dimension > 0 else { throw ReplayError.dataset(path, "observations has shape \(observations): D must be > 0") }
            try layout.expect("actions", Float.self, [episodeCount, steps, dimension])
            try layout.expect("rewards", Float.self, [episodeCount, steps, dimension])
            try layout.expect("terminations", Bool.self, [episodeCount, steps])
            try layout.expect("truncations", Bool.self, [episodeCount, steps])
            try layout.expect("seeds", UInt64.self, [episodeCount])
            hasLabels = try file.contains("labels")
            if hasLabels { try layout.expect("labels", Int32.self, [episodeCount]) }
            valueNames = try layout.members(of: "values")
            targetNames = try layout.members(of: "targets")
            for name in valueNames { try layout.expect("values/" + name, Float.self, [episodeCount, steps + 1, dimension]) }
            for name in targetNames { try layout.expect("targets/" + name, Float.self, [episodeCount, steps, dimension]) }
            if let recorded = state.committedEpisodes, recorded != episodeCount {
                throw ReplayError.dataset(path, "the root attribute 'episode_count' is \(recorded) but the datasets hold \(episodeCount) episodes; the file was changed after it was written")
            }
        } catch let error as HDF5Error {
            try? file.close()
            // Every check above names its own problem; this keeps the promise for whatever libhdf5 refuses besides.
            throw ReplayError.dataset(path, "reading the layout failed at '\(error.objectPath)' (\(error.call): \(error.message)); "
                                      + "expected a file written by TrajectoryDatasetWriter")
        } catch {
            try? file.close()
            throw error
        }
    }

    deinit { try? file.close() }

    /// Closes the file (idempotent).
    public func close() throws { try file.close() }

    /// Episodes `range` (a slice of 0..<N), read with one hyperslab read per dataset.
    public func episodes(_ range: Range<Int>) throws -> [Episode] {
        guard range.lowerBound >= 0, range.upperBound <= episodeCount else {
            throw ReplayError.dataset(path, "episode range \(range) is outside 0..<\(episodeCount)")
        }
        return try TrajectoryRows(file: file, path: path, times: times, dimension: dimension, valueNames: valueNames,
                                  targetNames: targetNames, hasLabels: hasLabels).episodes(range)
    }

    /// Episode `index`.
    public func episode(_ index: Int) throws -> Episode { try episodes(index..<(index + 1))[0] }

    /// Every episode (reads the whole file; use ``episodes(_:)`` in blocks for large files).
    public func allEpisodes() throws -> [Episode] { try episodes(0..<episodeCount) }
}

/// The per-dataset checks of ``TrajectoryDataset``'s validation.
struct TrajectoryLayoutCheck {
    let file: HDF5File
    let path: String

    func dataset(_ name: String) throws -> HDF5Dataset {
        guard (try? file.contains(name)) == true else {
            throw ReplayError.dataset(path, "the dataset '/\(name)' is missing")
        }
        do { return try file.openDataset(name) } catch let error as HDF5Error {
            if try kind(name) == .group {
                throw ReplayError.dataset(path, "'/\(name)' is a group; expected a dataset (\(Self.expectedDataset(name)))")
            }
            throw ReplayError.dataset(path, "'/\(name)' cannot be opened as a dataset (\(error.call): \(error.message)); "
                                      + "expected \(Self.expectedDataset(name))")
        }
    }

    /// What `name` is, from its parent group's listing (nil when the listing lacks it).
    private func kind(_ name: String) throws -> HDF5Member.Kind? {
        let parts = name.split(separator: "/").map(String.init)
        guard let leaf = parts.last else { return nil }
        do {
            let members = parts.count == 1 ? try file.members() : try file.openGroup(parts.dropLast().joined(separator: "/")).members()
            return members.first { $0.name == leaf }?.kind
        } catch let error as HDF5Error {
            throw ReplayError.dataset(path, "listing the group that holds '/\(name)' failed (\(error.call): \(error.message))")
        }
    }

    /// The layout's description of the dataset `name`, for messages.
    static func expectedDataset(_ name: String) -> String {
        switch name {
        case "times": return "float64 (K+1,)"
        case "observations": return "float32 (N, K+1, D)"
        case "actions", "rewards": return "float32 (N, K, D)"
        case "terminations", "truncations": return "bool (N, K)"
        case "labels": return "int32 (N,)"
        case "seeds": return "uint64 (N,)"
        default:
            if name.hasPrefix("values/") { return "float32 (N, K+1, D)" }
            if name.hasPrefix("targets/") { return "float32 (N, K, D)" }
            return "a dataset"
        }
    }

    func shape<T: HDF5Scalar>(_ name: String, _ type: T.Type, rank: Int) throws -> [Int] {
        let dataset = try dataset(name)
        let stored = try dataset.elementType()
        guard stored == T.elementType else {
            throw ReplayError.dataset(path, "'/\(name)' holds \(stored) elements, expected \(T.elementType)")
        }
        let shape = try dataset.shape()
        guard shape.count == rank else {
            throw ReplayError.dataset(path, "'/\(name)' has shape \(shape), expected rank \(rank)")
        }
        return shape
    }

    func expect<T: HDF5Scalar>(_ name: String, _ type: T.Type, _ expected: [Int]) throws {
        let shape = try shape(name, T.self, rank: expected.count)
        guard shape == expected else {
            throw ReplayError.dataset(path, "inconsistent shapes: '/\(name)' has shape \(shape) but observations and times imply \(expected)")
        }
    }

    func times() throws -> [Double] {
        _ = try shape("times", Double.self, rank: 1)
        let times = try dataset("times").read(as: Double.self)
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw ReplayError.dataset(path, "'/times' must hold K+1 ≥ 2 strictly decreasing times, got \(times)")
        }
        return times
    }

    /// The names in the optional group `group` (`values` or `targets`); [] when it is absent. Throws a
    /// ``ReplayError`` when `/<group>` is not a group.
    func members(of group: String) throws -> [String] {
        guard try file.contains(group) else { return [] }
        let kind = try kind(group)
        guard kind == .group else {
            let what = kind.map { $0 == .dataset ? "a dataset" : "a \($0.rawValue)" } ?? "not a group"
            throw ReplayError.dataset(path, "'/\(group)' is \(what); expected a group of datasets '/\(group)/<name>' "
                                      + "(\(Self.expectedDataset(group + "/x")) each)")
        }
        do { return try file.openGroup(group).members().map(\.name).sorted() } catch let error as HDF5Error {
            throw ReplayError.dataset(path, "'/\(group)' cannot be listed (\(error.call): \(error.message))")
        }
    }
}

/// Reads episode rows by range from an open compact-layout file (one hyperslab read per dataset);
/// shared by ``TrajectoryDataset`` and recovery, which reads a partial file that the dataset refuses.
struct TrajectoryRows {
    let file: HDF5File
    let path: String
    let times: [Double]
    let dimension: Int
    let valueNames: [String]
    let targetNames: [String]
    let hasLabels: Bool

    func episodes(_ range: Range<Int>) throws -> [Episode] {
        let count = range.count, steps = times.count - 1
        guard count > 0 else { return [] }
        var block = EpisodeBlock(dimension: dimension, steps: steps, valueNames: valueNames, targetNames: targetNames,
                                 hasLabels: hasLabels, capacity: 0)
        func rows<T: HDF5Scalar>(_ name: String, _ type: T.Type, _ rowShape: [Int]) throws -> [T] {
            do {
                return try file.openDataset(name).read(as: T.self, start: [range.lowerBound] + rowShape.map { _ in 0 },
                                                       count: [count] + rowShape)
            } catch {
                throw ReplayError.dataset(path, "reading '\(name)' episodes \(range) failed (damaged data or checksum mismatch): \(error)")
            }
        }
        block.observations = try rows("observations", Float.self, [steps + 1, dimension])
        block.actions = try rows("actions", Float.self, [steps, dimension])
        block.rewards = try rows("rewards", Float.self, [steps, dimension])
        block.terminations = try rows("terminations", Bool.self, [steps])
        block.truncations = try rows("truncations", Bool.self, [steps])
        block.seeds = try rows("seeds", UInt64.self, [])
        if hasLabels { block.labels = try rows("labels", Int32.self, []) }
        for name in valueNames { block.values[name] = try rows("values/" + name, Float.self, [steps + 1, dimension]) }
        for name in targetNames { block.targets[name] = try rows("targets/" + name, Float.self, [steps, dimension]) }
        block.count = count
        return try (0..<count).map { try block.episode($0, times: times) }
    }
}

extension TrajectoryDatasetMetadata {
    /// The provenance root attributes of an open compact-layout file, after checking `format` and
    /// `format_version`; throws a ``ReplayError`` naming `path` and the attribute at fault.
    static func read(from file: HDF5File, path: String) throws -> TrajectoryDatasetMetadata {
        func string(_ name: String) throws -> String {
            do { return try file.stringAttribute(name) } catch {
                throw ReplayError.dataset(path, "the root attribute '\(name)' is missing or not a string")
            }
        }
        let format = try string("format")
        guard format == TrajectoryDatasetMetadata.format else {
            throw ReplayError.dataset(path, "format is '\(format)', expected '\(TrajectoryDatasetMetadata.format)'")
        }
        let version: Int64
        do { version = try file.attribute("format_version", as: Int64.self) } catch {
            throw ReplayError.dataset(path, "the root attribute 'format_version' is missing or not an integer")
        }
        guard version == TrajectoryDatasetMetadata.formatVersion else {
            throw ReplayError.dataset(path, "format_version is \(version); this reader understands format_version \(TrajectoryDatasetMetadata.formatVersion)")
        }
        let seed: UInt64
        do { seed = try file.attribute("seed", as: UInt64.self) } catch {
            throw ReplayError.dataset(path, "the root attribute 'seed' is missing or not a uint64")
        }
        return TrajectoryDatasetMetadata(
            environment: try string("environment"), solver: try string("solver"), estimator: try string("estimator"),
            timeGrid: try string("time_grid"), seed: seed, toolkitVersion: try string("toolkit_version"),
            createdUTC: try string("created_utc"))
    }
}

/// The write-state root attributes: `complete`, `episode_count`, `recovered_from` (all absent in
/// files written before crash-safe commits, which count as complete).
struct TrajectoryWriteState {
    var isComplete: Bool
    var committedEpisodes: Int?
    var recoveredFrom: String?

    /// A writer's working file: not complete and not a recovery result.
    var isPartial: Bool { !isComplete && recoveredFrom == nil }

    static func read(from file: HDF5File, path: String) throws -> TrajectoryWriteState {
        var state = TrajectoryWriteState(isComplete: true, committedEpisodes: nil, recoveredFrom: nil)
        if try file.hasAttribute(TrajectoryDatasetMetadata.completeAttribute) {
            do { state.isComplete = try file.attribute(TrajectoryDatasetMetadata.completeAttribute, as: Bool.self) } catch {
                throw ReplayError.dataset(path, "the root attribute 'complete' is not a bool")
            }
        }
        if try file.hasAttribute(TrajectoryDatasetMetadata.episodeCountAttribute) {
            let count: Int64
            do { count = try file.attribute(TrajectoryDatasetMetadata.episodeCountAttribute, as: Int64.self) } catch {
                throw ReplayError.dataset(path, "the root attribute 'episode_count' is not an int64")
            }
            guard count >= 0 else { throw ReplayError.dataset(path, "the root attribute 'episode_count' is \(count); expected ≥ 0") }
            state.committedEpisodes = Int(count)
        }
        if try file.hasAttribute(TrajectoryDatasetMetadata.recoveredFromAttribute) {
            state.recoveredFrom = try? file.stringAttribute(TrajectoryDatasetMetadata.recoveredFromAttribute)
        }
        return state
    }
}
