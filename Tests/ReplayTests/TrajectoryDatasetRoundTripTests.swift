import Foundation
import Replay
import Testing

@Suite("Compact trajectory datasets: round trip, slicing, atomic writing, bounded buffer")
struct TrajectoryDatasetRoundTripTests {
    @Test("episodes written in chunks (with values, targets, labels, a truncated episode) read back identical")
    func roundTripIdentical() throws {
        let episodes = try syntheticEpisodes(count: 11, truncated: [4])
        let path = try temporaryFolder("roundtrip") + "/t.h5"
        try writeDataset(episodes, to: path, chunk: 3)
        let dataset = try TrajectoryDataset(path: path)
        #expect(dataset.episodeCount == 11 && dataset.dimension == 2 && dataset.times == episodes[0].times)
        #expect(dataset.valueNames == ["exact", "net"] && dataset.targetNames == ["td0"] && dataset.hasLabels)
        #expect(dataset.metadata == testMetadata)
        #expect(try dataset.allEpisodes() == episodes)
    }

    @Test("a slice of episodes equals the same slice of what was written")
    func slicing() throws {
        let episodes = try syntheticEpisodes(count: 10, labels: false)
        let path = try temporaryFolder("slice") + "/t.h5"
        try writeDataset(episodes, to: path, chunk: 4)
        let dataset = try TrajectoryDataset(path: path)
        #expect(try dataset.episodes(3..<9) == Array(episodes[3..<9]))
        #expect(try dataset.episode(7) == episodes[7])
        #expect(try dataset.episodes(5..<5).isEmpty)
        #expect(throws: ReplayError.self) { try dataset.episodes(8..<11) }
    }

    @Test("the final path appears only at finish; a discarded writer leaves neither the file nor its .partial")
    func atomicPublication() throws {
        let folder = try temporaryFolder("atomic")
        let path = folder + "/t.h5"
        let episodes = try syntheticEpisodes(count: 5)
        let writer = try TrajectoryDatasetWriter(path: path, metadata: testMetadata, dimension: 2, times: episodes[0].times,
                                                 valueNames: ["exact", "net"], targetNames: ["td0"], hasLabels: true, chunkEpisodes: 2)
        try writer.append(contentsOf: episodes)
        #expect(!FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: path + ".partial"))
        writer.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        try writeDataset(episodes, to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let failing = try TrajectoryDatasetWriter(path: path, metadata: testMetadata, dimension: 2, times: episodes[0].times,
                                                  valueNames: ["exact", "net"], targetNames: ["td0"], hasLabels: true)
        #expect(throws: ReplayError.self) { try failing.append(syntheticEpisodes(count: 1, labels: false)[0]) }
        failing.discard()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test("the writer never buffers more than chunkEpisodes episodes (the memory bound)")
    func bufferBound() throws {
        let episodes = try syntheticEpisodes(count: 40, labels: false)
        let writer = try TrajectoryDatasetWriter(path: try temporaryFolder("bound") + "/t.h5", metadata: testMetadata,
                                                 dimension: 2, times: episodes[0].times, valueNames: ["exact", "net"],
                                                 targetNames: ["td0"], chunkEpisodes: 7)
        var maximum = 0
        for (i, episode) in episodes.enumerated() {
            try writer.append(episode)
            maximum = max(maximum, writer.bufferedEpisodeCount)
            #expect(writer.bufferedEpisodeCount == (i + 1) % 7)
        }
        #expect(maximum == 6)
        try writer.finish()
    }
}
