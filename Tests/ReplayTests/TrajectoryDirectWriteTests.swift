import Foundation
import HDF5
@testable import Replay
import Testing

/// The writer's direct chunk writes (chunks encoded by the writer on several threads, stored with
/// `H5Dwrite_chunk`) against libhdf5's filtered hyperslab appends: the same file, value for value.
@Suite("Trajectory datasets: direct chunk writes")
struct TrajectoryDirectWriteTests {
    static func write(_ episodes: [Episode], to path: String, chunk: Int, method: TrajectoryDatasetWriter.ChunkWriteMethod,
                      threads: Int = 2) throws {
        let first = episodes[0]
        let writer = try TrajectoryDatasetWriter(path: path, metadata: testMetadata, dimension: first.dimension, times: first.times,
                                                 valueNames: Array(first.values.keys), targetNames: Array(first.targets.keys),
                                                 hasLabels: first.label != nil, chunkEpisodes: chunk)
        #expect(writer.directCodecs?.count == 10, "every dataset's pipeline takes direct writes")
        writer.chunkWrites = method
        writer.encodingThreads = threads
        try writer.append(contentsOf: episodes)
        try writer.finish()
    }

    static let floatDatasets = ["observations", "actions", "rewards", "values/exact", "values/net", "targets/td0"]

    @Test("a dataset with labels, values and targets written by direct chunk writes reads back exactly like one written through libhdf5's filters: layout, attributes, every dataset")
    func directAndHyperslabFilesAgree() throws {
        let folder = try temporaryFolder("direct")
        for (count, chunk) in [(29, 8), (24, 8), (5, 8), (1, 1)] {
            let episodes = try syntheticEpisodes(count: count, truncated: [min(4, count - 1)])
            let direct = folder + "/direct-\(count).h5", hyperslab = folder + "/hyperslab-\(count).h5"
            try Self.write(episodes, to: direct, chunk: chunk, method: .direct)
            try Self.write(episodes, to: hyperslab, chunk: chunk, method: .hyperslab)
            let listing = { (path: String) in try HDF5Inspector.describe(path: path).split(separator: "\n").dropFirst().joined(separator: "\n") }
            #expect(try listing(direct) == listing(hyperslab), "\(count) episodes")
            let a = try HDF5File(direct), b = try HDF5File(hyperslab)
            for name in Self.floatDatasets {
                #expect(try a.openDataset(name).read(as: Float.self) == b.openDataset(name).read(as: Float.self), "\(name)")
            }
            for name in ["terminations", "truncations"] {
                #expect(try a.openDataset(name).read(as: Bool.self) == b.openDataset(name).read(as: Bool.self), "\(name)")
            }
            #expect(try a.openDataset("seeds").read(as: UInt64.self) == b.openDataset("seeds").read(as: UInt64.self))
            #expect(try a.openDataset("labels").read(as: Int32.self) == b.openDataset("labels").read(as: Int32.self))
            #expect(try a.openDataset("times").read(as: Double.self) == b.openDataset("times").read(as: Double.self))
            for name in ["episode_count", "format_version"] {
                #expect(try a.attribute(name, as: Int64.self) == b.attribute(name, as: Int64.self))
            }
            #expect(try a.attribute("complete", as: Bool.self) == true)
            try a.close()
            try b.close()
            #expect(try TrajectoryDataset(path: direct).allEpisodes() == episodes)
        }
    }

    @Test("the stored chunks do not depend on the number of encoding threads (chunks of 1024 episodes, K = 18, D = 2)")
    func storedChunksAreThreadCountIndependent() throws {
        let folder = try temporaryFolder("direct-threads")
        let episodes = try syntheticEpisodes(count: 2100, steps: 18)
        var stored: [[HDF5EncodedChunk]] = []
        for threads in [1, 2, 3] {
            let path = folder + "/t\(threads).h5"
            try Self.write(episodes, to: path, chunk: 1024, method: .direct, threads: threads)
            let file = try HDF5File(path)
            var chunks: [HDF5EncodedChunk] = []
            for name in Self.floatDatasets + ["terminations", "truncations", "seeds", "labels"] {
                let dataset = try file.openDataset(name)
                let shape = try dataset.shape()
                #expect(shape[0] == 2100)
                for first in stride(from: 0, to: 2100, by: 1024) {
                    chunks.append(try #require(try dataset.readStoredChunk(at: [first] + shape.dropFirst().map { _ in 0 })))
                }
            }
            try file.close()
            stored.append(chunks)
            #expect(try TrajectoryDataset(path: path).allEpisodes() == episodes)
        }
        #expect(stored[0].count == 30)
        #expect(stored[1] == stored[0])
        #expect(stored[2] == stored[0])
    }
}
