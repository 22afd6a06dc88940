import Replay
import Tensors
import Foundation
import TestFolders

/// A fresh temporary directory for one test, removed when the test process exits.
func temporaryFolder(_ name: String) throws -> String {
    try TemporaryFolders.unique(prefix: "consistency-td-replay-\(name)")
}


/// Synthetic episodes with every optional part: observations from a stream, rewards as differences,
/// values "exact" and "net", a target "td0", labels; episode `truncatedAt` (if any) is truncated at
/// step 5 and holds its point afterwards (zero rewards), as the MDP does.
func syntheticEpisodes(count: Int, steps: Int = 6, dimension: Int = 2, seed: UInt64 = 1, labels: Bool = true,
                       truncated: Set<Int> = []) throws -> [Episode] {
    let times = (0...steps).map { 80.0 * Foundation.pow(0.002 / 80.0, Double($0) / Double(steps)) }
    var stream = RandomStream(seed: seed, purpose: "synthetic-episodes")
    return try (0..<count).map { i in
        var observations = (0..<((steps + 1) * dimension)).map { _ in Float(stream.nextNormal()) }
        var terminations = (0..<steps).map { $0 == steps - 1 }
        var truncations = [Bool](repeating: false, count: steps)
        if truncated.contains(i) {
            let cut = min(4, steps - 1)
            truncations[cut] = true
            terminations = [Bool](repeating: false, count: steps)
            for k in (cut + 1)...steps { for d in 0..<dimension { observations[k * dimension + d] = observations[cut * dimension + d] } }
        }
        var rewards = [Float](repeating: 0, count: steps * dimension)
        for j in rewards.indices { rewards[j] = observations[j + dimension] - observations[j] }
        let values = (0..<((steps + 1) * dimension)).map { _ in Float(stream.nextUniform()) }
        let net = (0..<((steps + 1) * dimension)).map { _ in Float(stream.nextUniform()) }
        let targets = (0..<(steps * dimension)).map { _ in Float(stream.nextNormal()) }
        return try Episode(dimension: dimension, times: times, observations: observations,
                           actions: Array(observations[dimension...]), rewards: rewards, terminations: terminations,
                           truncations: truncations, seed: UInt64(i) &* 0x9E37_79B9_7F4A_7C15,
                           label: labels ? Int32(i % 8) : nil, values: ["exact": values, "net": net], targets: ["td0": targets])
    }
}

let testMetadata = TrajectoryDatasetMetadata(environment: "{\"data\": \"synthetic\"}", solver: "none", estimator: "synthetic",
                                             timeGrid: "geometric(7)", seed: 1, createdUTC: "2026-01-01T00:00:00Z")

/// Writes `episodes` to `path` with chunks of `chunk` episodes.
func writeDataset(_ episodes: [Episode], to path: String, chunk: Int = 3, metadata: TrajectoryDatasetMetadata = testMetadata) throws {
    let first = episodes[0]
    let writer = try TrajectoryDatasetWriter(path: path, metadata: metadata, dimension: first.dimension, times: first.times,
                                             valueNames: Array(first.values.keys), targetNames: Array(first.targets.keys),
                                             hasLabels: first.label != nil, chunkEpisodes: chunk)
    try writer.append(contentsOf: episodes)
    try writer.finish()
}
