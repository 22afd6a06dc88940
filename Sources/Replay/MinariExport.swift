import Foundation
import HDF5

/// Exports episodes in the layout of Minari (Farama Foundation's offline-RL dataset standard),
/// version 0.5, so that `minari.load_dataset(id)` opens them with `MINARI_DATASETS_PATH=<root>`:
///
///     <root>/<id>/data/main_data.hdf5     one group per episode and nothing else at the root:
///         /episode_<i>     attrs: id, total_steps, seed (uint64), label (when the episodes have labels)
///             observations   float32 (L+1, D+1)   [x, t]: the state and its time, row k at τ_k
///             actions        float32 (L, D)       x_{τ_{k+1}}
///             rewards        float32 (L, D)       x_{τ_{k+1}} − x_{τ_k} (a vector reward: the MDP's)
///             terminations   bool (L,)            truncations   bool (L,)
///     <root>/<id>/data/metadata.json      dataset_id, total_episodes, total_steps, data_format "hdf5",
///         jpeg_encoding false, minari_version, and observation_space / action_space as JSON strings
///         of Gymnasium spaces: Box(D+1,) float32 with bounds (−∞ … −∞, t_min) to (∞ … ∞, t_max)
///         for (x, t), and Box(D,) float32 unbounded for actions; plus the dataset's provenance
///         under "consistency_td".
///
/// L is the episode's ``Episode/length`` (Minari episodes stop at their first termination or
/// truncation; the compact layout's padding after a truncation is not exported, nor the non-finite
/// row of a step the non-finite guard cut), so observations have one more row than actions, as Minari
/// expects, and every exported value is finite. An episode with no transition (L = 0: cut on its
/// first step) is not exported; the `episode_<i>` groups are numbered consecutively over the exported
/// ones (each keeps its `seed`), and metadata.json records how many were left out under
/// "consistency_td" → "episodes_without_transitions". Value estimates and TD targets stay in the
/// compact layout. The dataset is built in `<root>/<id>.tmp` and renamed into place; an existing
/// `<root>/<id>` is never replaced.
public enum MinariExport {
    /// The Minari dataset version written into metadata.json (its loader checks it is supported).
    public static let minariVersion = "0.5.0"

    /// Writes `episodes` (all of one MDP) as the Minari dataset `datasetID` under `root` and
    /// returns the dataset's directory.
    @discardableResult
    public static func write(
        _ episodes: some Sequence<Episode>, datasetID: String, root: String, metadata: TrajectoryDatasetMetadata
    ) throws -> String {
        var iterator = episodes.makeIterator()
        return try write(next: { iterator.next() }, datasetID: datasetID, root: root, metadata: metadata)
    }

    /// Streams every episode of a compact dataset (read in blocks of `blockSize`) into a Minari dataset.
    @discardableResult
    public static func write(_ dataset: TrajectoryDataset, datasetID: String, root: String, blockSize: Int = 4096) throws -> String {
        var start = 0
        var block: [Episode] = []
        var position = 0
        return try write(next: {
            if position == block.count {
                guard start < dataset.episodeCount else { return nil }
                let end = min(dataset.episodeCount, start + blockSize)
                block = try dataset.episodes(start..<end)
                start = end
                position = 0
            }
            position += 1
            return block[position - 1]
        }, datasetID: datasetID, root: root, metadata: dataset.metadata)
    }

    static func write(next: () throws -> Episode?, datasetID: String, root: String,
                      metadata: TrajectoryDatasetMetadata) throws -> String {
        let components = datasetID.split(separator: "/", omittingEmptySubsequences: false)
        guard !datasetID.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw ReplayError("Minari dataset id '\(datasetID)' must be '(namespace/)name(-v<version>)' with non-empty path components")
        }
        let final = (root as NSString).appendingPathComponent(datasetID)
        let temporary = final + ".tmp"
        let manager = FileManager.default
        guard !manager.fileExists(atPath: final) else {
            throw ReplayError("the Minari dataset '\(final)' already exists; remove it or choose another dataset id")
        }
        try? manager.removeItem(atPath: temporary)
        do {
            let dataDirectory = (temporary as NSString).appendingPathComponent("data")
            try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            let file = try HDF5File((dataDirectory as NSString).appendingPathComponent("main_data.hdf5"), mode: .truncate)
            var episodeCount = 0, stepTotal = 0, withoutTransitions = 0
            var shape: (dimension: Int, times: [Double])?
            do {
                while let episode = try next() {
                    if let shape, shape.dimension != episode.dimension || shape.times != episode.times {
                        throw ReplayError("episode \(episodeCount + withoutTransitions) has D = \(episode.dimension), times \(episode.times); a Minari dataset holds episodes of one MDP (D = \(shape.dimension), times \(shape.times))")
                    }
                    shape = (episode.dimension, episode.times)
                    guard episode.length > 0 else {
                        withoutTransitions += 1
                        continue
                    }
                    stepTotal += try writeEpisode(episode, index: episodeCount, into: file)
                    episodeCount += 1
                }
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            guard let shape else { throw ReplayError("a Minari dataset needs at least one episode; none were given") }
            guard episodeCount > 0 else {
                throw ReplayError("a Minari dataset needs at least one episode with a transition; all \(withoutTransitions) given have "
                                  + "length 0 (cut on their first step by the non-finite guard: the policy's first output was NaN or ±∞)")
            }
            let json = try metadataJSON(datasetID: datasetID, episodeCount: episodeCount, stepTotal: stepTotal,
                                        dimension: shape.dimension, times: shape.times, metadata: metadata,
                                        withoutTransitions: withoutTransitions)
            let metadataPath = (dataDirectory as NSString).appendingPathComponent("metadata.json")
            try Data(json.utf8).write(to: URL(fileURLWithPath: metadataPath))
            try FileSystem.synchronizeFile(atPath: (dataDirectory as NSString).appendingPathComponent("main_data.hdf5"))
            try FileSystem.synchronizeFile(atPath: metadataPath)
            guard rename(temporary, final) == 0 else {
                throw ReplayError("renaming '\(temporary)' to '\(final)' failed: \(FileSystem.lastError())")
            }
            try FileSystem.synchronizeDirectory(of: final)
            return final
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Writes one `episode_<index>` group; returns its number of steps L.
    static func writeEpisode(_ episode: Episode, index: Int, into file: HDF5File) throws -> Int {
        let length = episode.length, dimension = episode.dimension
        let group = try file.createGroup("episode_\(index)")
        try group.setAttribute("id", Int64(index))
        try group.setAttribute("total_steps", Int64(length))
        try group.setAttribute("seed", episode.seed)
        if let label = episode.label { try group.setAttribute("label", Int64(label)) }
        var observations = [Float]()
        observations.reserveCapacity((length + 1) * (dimension + 1))
        for k in 0...length {
            observations.append(contentsOf: episode.observation(at: k))
            observations.append(Float(episode.times[k]))
        }
        try group.createDataset("observations", values: observations, shape: [length + 1, dimension + 1])
        try group.createDataset("actions", values: Array(episode.actions[0..<(length * dimension)]), shape: [length, dimension])
        try group.createDataset("rewards", values: Array(episode.rewards[0..<(length * dimension)]), shape: [length, dimension])
        try group.createDataset("terminations", values: Array(episode.terminations[0..<length]))
        try group.createDataset("truncations", values: Array(episode.truncations[0..<length]))
        return length
    }

    /// metadata.json; the spaces are JSON strings in Minari's serialisation (`-Infinity`/`Infinity`
    /// bounds as Python's json module writes and reads them).
    static func metadataJSON(datasetID: String, episodeCount: Int, stepTotal: Int, dimension: Int, times: [Double],
                             metadata: TrajectoryDatasetMetadata, withoutTransitions: Int = 0) throws -> String {
        func box(_ low: [String], _ high: [String]) -> String {
            "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [\(low.count)], \"low\": [\(low.joined(separator: ", "))], \"high\": [\(high.joined(separator: ", "))]}"
        }
        let unboundedLow = [String](repeating: "-Infinity", count: dimension)
        let unboundedHigh = [String](repeating: "Infinity", count: dimension)
        let observationSpace = box(unboundedLow + ["\(Float(times.last!))"], unboundedHigh + ["\(Float(times.first!))"])
        let actionSpace = box(unboundedLow, unboundedHigh)
        let object: [String: Any] = [
            "dataset_id": datasetID,
            "total_episodes": episodeCount,
            "total_steps": stepTotal,
            "data_format": "hdf5",
            "jpeg_encoding": false,
            "minari_version": minariVersion,
            "observation_space": observationSpace,
            "action_space": actionSpace,
            "algorithm_name": metadata.estimator,
            "description": "Probability-flow ODE rollouts of the denoising MDP exported by ConsistencyTD: observations are [x, t], actions the next point, rewards the vector x_{t'} - x_t.",
            "consistency_td": [
                "format": TrajectoryDatasetMetadata.format, "environment": metadata.environment, "solver": metadata.solver,
                "estimator": metadata.estimator, "time_grid": metadata.timeGrid, "seed": "\(metadata.seed)",
                "toolkit_version": metadata.toolkitVersion, "created_utc": metadata.createdUTC,
                "times": times, "episodes_without_transitions": withoutTransitions,
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }
}
