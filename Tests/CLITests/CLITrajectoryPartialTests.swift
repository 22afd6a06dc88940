import CLIProcess
import Foundation
import Replay
import Testing

/// What the command line says about a partial trajectory dataset (`<name>.partial`, left by a writer
/// that did not finish): `inspect` and `export-trajectories` point at it, `inspect --recover` recovers it.
@Suite("consistency-td and partial trajectory datasets")
struct CLITrajectoryPartialTests {
    /// `<folder>/<name>.partial` holding 4 committed episodes (chunks of 2; a fifth still buffered),
    /// as a crash would leave it: a byte copy taken while the writer is open.
    static func makePartial(_ folder: String, name: String) throws {
        let times = [80.0, 1.0, 0.002]
        let writer = try TrajectoryDatasetWriter(path: folder + "/writing-" + name,
                                                 metadata: TrajectoryDatasetMetadata(environment: "{}", solver: "none", estimator: "synthetic",
                                                                                     timeGrid: "list", seed: 0),
                                                 dimension: 1, times: times, chunkEpisodes: 2)
        for i in 0..<5 {
            let x = Float(i)
            try writer.append(try Episode(dimension: 1, times: times, observations: [x, x / 2, x / 4], actions: [x / 2, x / 4],
                                          rewards: [-x / 2, -x / 4], terminations: [false, true], truncations: [false, false],
                                          seed: UInt64(i)))
        }
        try FileManager.default.copyItem(atPath: writer.partialPath, toPath: folder + "/" + name + ".partial")
        writer.discard()
    }

    @Test("inspect points from the missing file to its partial file, summarises the partial file, and --recover publishes its committed episodes")
    func inspectPointsAtAndRecoversPartialFiles() throws {
        let folder = try CLI.temporaryFolder("partial-trajectories")
        try Self.makePartial(folder, name: "t.h5")

        let missing = try CLI.run(["inspect", "t.h5"], in: folder)
        #expect(missing.status != 0 && missing.errorLines.count == 1, "\(missing.standardError)")
        #expect(missing.standardError.contains("t.h5.partial") && missing.standardError.contains("inspect --recover"), "\(missing.standardError)")

        let partial = try CLI.run(["inspect", "t.h5.partial"], in: folder)
        #expect(partial.status == 0, "\(partial.standardError)")
        #expect(partial.standardOutput.contains("partial trajectory dataset (its writer did not finish): 4 committed episodes"),
                "\(partial.standardOutput)")

        let recovered = try CLI.run(["inspect", "--recover", "t.h5.partial"], in: folder)
        #expect(recovered.status == 0, "\(recovered.standardError)")
        #expect(recovered.standardOutput.contains("recovered 4 episodes"), "\(recovered.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/t.h5.partial"))
        let dataset = try TrajectoryDataset(path: folder + "/t.h5")
        #expect(dataset.episodeCount == 4 && !dataset.isComplete)
        #expect(try dataset.episode(3).observations == [3, 1.5, 0.75])

        let summary = try CLI.run(["inspect", "t.h5"], in: folder)
        #expect(summary.standardOutput.contains("trajectory dataset: 4 episodes") && summary.standardOutput.contains("recovered from"),
                "\(summary.standardOutput)")
        let again = try CLI.run(["inspect", "--recover", "t.h5.partial"], in: folder)
        #expect(again.status != 0 && again.errorLines.count == 1, "\(again.standardError)")
    }

    @Test("export-trajectories refuses to start over a partial file, names it and says how to recover it")
    func exportRefusesOverAPartialFile() throws {
        let folder = try CLI.temporaryFolder("partial-export")
        try Self.makePartial(folder, name: "out.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/out.h5.partial"))
        let result = try CLI.run(["export-trajectories", "--policy", "euler", "--episodes", "3", "--steps", "2", "--out", "out.h5"], in: folder)
        #expect(result.status != 0 && !result.endedBySignal, "\(result.standardError)")
        #expect(result.standardError.contains("out.h5.partial") && result.standardError.contains("inspect --recover"), "\(result.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/out.h5.partial")) == before)
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.h5"))
    }
}
