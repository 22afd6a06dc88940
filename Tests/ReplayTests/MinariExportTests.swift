import Foundation
import HDF5
import Replay
import Testing

@Suite("Minari export layout")
struct MinariExportTests {
    @Test("the file root holds only episode_<i> groups; metadata.json holds the spaces as JSON strings")
    func layout() throws {
        let folder = try temporaryFolder("minari-layout")
        let episodes = try syntheticEpisodes(count: 3, truncated: [2])
        let directory = try MinariExport.write(episodes, datasetID: "ns/toy-v1", root: folder, metadata: testMetadata)
        let file = try HDF5File(directory + "/data/main_data.hdf5")
        #expect(try file.members().map { $0.name }.sorted() == ["episode_0", "episode_1", "episode_2"])
        let last = try file.openGroup("episode_2")
        #expect(try last.attribute("total_steps", as: Int64.self) == 5)
        #expect(try last.openDataset("observations").shape() == [6, 3])
        #expect(try last.openDataset("truncations").read(as: Bool.self) == [false, false, false, false, true])
        try file.close()
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/data/metadata.json")))
        let metadata = try #require(json as? [String: Any])
        #expect(metadata["dataset_id"] as? String == "ns/toy-v1")
        #expect(metadata["total_episodes"] as? Int == 3 && metadata["total_steps"] as? Int == 17)
        let space = try #require(metadata["observation_space"] as? String)
        #expect(space.hasPrefix("{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [3]"))
    }

    @Test("exporting over an existing Minari dataset is refused and leaves it untouched")
    func neverOverwrites() throws {
        let folder = try temporaryFolder("minari-exists")
        let episodes = try syntheticEpisodes(count: 2)
        try MinariExport.write(episodes, datasetID: "x-v0", root: folder, metadata: testMetadata)
        #expect(throws: ReplayError.self) { try MinariExport.write(episodes, datasetID: "x-v0", root: folder, metadata: testMetadata) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["x-v0"])
    }
}
