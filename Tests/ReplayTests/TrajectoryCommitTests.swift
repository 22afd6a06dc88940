import Foundation
import HDF5
import Replay
import Testing

/// The writer's commits (one per `chunkEpisodes` episodes), the final file's format, and recovery of
/// the partial file a crash leaves. A byte copy of `<path>.partial` taken while the writer is open is
/// exactly what a `kill -9` at that moment would leave on disk (the reliability suite kills a real
/// process; these tests take the copy at every episode).
@Suite("Trajectory datasets: crash-safe commits and recovery")
struct TrajectoryCommitTests {
    static let rootAttributes = ["complete", "created_utc", "environment", "episode_count", "estimator", "format",
                                 "format_version", "seed", "solver", "time_grid", "toolkit_version"]

    static func writer(_ path: String, chunk: Int, episodes: [Episode]) throws -> TrajectoryDatasetWriter {
        try TrajectoryDatasetWriter(path: path, metadata: testMetadata, dimension: 2, times: episodes[0].times,
                                    valueNames: ["exact", "net"], targetNames: ["td0"], hasLabels: true, chunkEpisodes: chunk)
    }

    @Test("finish writes the former layout (types, shapes, chunks, filters) plus the attributes episode_count = N and complete = true")
    func finishedFileKeepsTheLayoutAndAddsTwoAttributes() throws {
        let episodes = try syntheticEpisodes(count: 11, truncated: [4])
        let path = try temporaryFolder("format") + "/t.h5"
        try writeDataset(episodes, to: path, chunk: 3)
        #expect(!FileManager.default.fileExists(atPath: TrajectoryDatasetWriter.partialPath(for: path)))
        let file = try HDF5File(path)
        #expect(try file.attributeNames().sorted() == Self.rootAttributes)
        #expect(try file.attribute("episode_count", as: Int64.self) == 11)
        #expect(try file.attribute("complete", as: Bool.self) == true)
        #expect(try file.attribute("format_version", as: Int64.self) == 1)
        let filters: [HDF5Filter] = [.shuffle, .gzip(level: 4), .fletcher32]
        let expected: [(String, HDF5ElementType, [Int])] = [
            ("observations", .float32, [7, 2]), ("actions", .float32, [6, 2]), ("rewards", .float32, [6, 2]),
            ("terminations", Bool.elementType, [6]), ("truncations", Bool.elementType, [6]), ("seeds", .uint64, []),
            ("labels", .int32, []), ("values/exact", .float32, [7, 2]), ("values/net", .float32, [7, 2]),
            ("targets/td0", .float32, [6, 2]),
        ]
        for (name, type, rowShape) in expected {
            let dataset = try file.openDataset(name)
            #expect(try dataset.elementType() == type, "\(name)")
            #expect(try dataset.shape() == [11] + rowShape, "\(name)")
            #expect(try dataset.chunkShape() == [3] + rowShape, "\(name)")
            #expect(try dataset.filters() == filters, "\(name)")
            #expect(try dataset.maxShape() == [nil] + rowShape.map { Optional($0) }, "\(name)")
        }
        #expect(try file.openDataset("times").read(as: Double.self) == episodes[0].times)
        #expect(try file.openDataset("times").chunkShape() == nil)
        #expect(try file.members().map { $0.name }.sorted() == ["actions", "labels", "observations", "rewards", "seeds", "targets",
                                                            "terminations", "times", "truncations", "values"])
        try file.close()
        let dataset = try TrajectoryDataset(path: path)
        #expect(dataset.isComplete && dataset.recoveredFrom == nil)
        #expect(try dataset.allEpisodes() == episodes)
    }

    @Test("a copy of the partial file taken after any episode recovers to exactly the episodes of the completed commits")
    func crashAtEveryEpisodeLosesAtMostTheInterval() throws {
        let episodes = try syntheticEpisodes(count: 14)
        let folder = try temporaryFolder("commits")
        let writer = try Self.writer(folder + "/t.h5", chunk: 4, episodes: episodes)
        for (index, episode) in episodes.enumerated() {
            try writer.append(episode)
            let committed = (index + 1) / 4 * 4
            #expect(writer.committedEpisodeCount == committed)
            let crashed = folder + "/crash-\(index).h5"
            try FileManager.default.copyItem(atPath: writer.partialPath, toPath: crashed + ".partial")
            let recovery = try TrajectoryDatasetWriter.recover(partialPath: crashed + ".partial")
            #expect(recovery.episodeCount == committed && recovery.committedEpisodeCount == committed && !recovery.truncatedAtDamage)
            #expect(index + 1 - recovery.episodeCount < writer.chunkEpisodes, "lost more than the flush interval")
            let dataset = try TrajectoryDataset(path: crashed)
            #expect(!dataset.isComplete && dataset.recoveredFrom == crashed + ".partial")
            #expect(try dataset.allEpisodes() == Array(episodes.prefix(committed)), "crash after episode \(index)")
            let file = try HDF5File(crashed)
            #expect(try file.attribute("episode_count", as: Int64.self) == Int64(committed))
            #expect(try file.openDataset("observations").chunkShape() == [4, 7, 2])
            try file.close()
        }
        try writer.finish()
        #expect(try TrajectoryDataset(path: folder + "/t.h5").allEpisodes() == episodes)
    }

    @Test("recovery keeps the shortest committed prefix: fewer rows in one dataset, unallocated chunks, a failed checksum; cut at damage, it keeps the partial file byte for byte as .damaged")
    func recoveryTruncatesToWhatIsReallyStored() throws {
        let episodes = try syntheticEpisodes(count: 12)
        let folder = try temporaryFolder("damage")
        let writer = try Self.writer(folder + "/t.h5", chunk: 4, episodes: episodes)
        try writer.append(contentsOf: episodes)          // three commits
        func snapshot(_ name: String, _ change: (HDF5File) throws -> Void) throws -> String {
            let partial = folder + "/\(name).h5.partial"
            try FileManager.default.copyItem(atPath: writer.partialPath, toPath: partial)
            let file = try HDF5File(partial, mode: .readWrite)
            try change(file)
            try file.close()
            return partial
        }
        // One dataset shorter than the commit record (a commit torn inside its first flush).
        let short = try snapshot("short") { try $0.openDataset("actions").resize(to: [6, 6, 2]) }
        var recovery = try TrajectoryDatasetWriter.recover(partialPath: short)
        #expect(recovery.episodeCount == 6 && recovery.storedRows == 12 && recovery.committedEpisodeCount == 12)
        #expect(try TrajectoryDataset(path: recovery.path).allEpisodes() == Array(episodes.prefix(6)))
        // No damage: the partial file is removed, as before.
        #expect(!recovery.truncatedAtDamage && recovery.damagedCopyPath == nil)
        #expect(!FileManager.default.fileExists(atPath: short) && !FileManager.default.fileExists(atPath: short + ".damaged"))
        /// The partial file's bytes are kept under `<partial>.damaged`, and only there.
        func expectKeptAsDamaged(_ partial: String, _ bytes: Data, _ recovery: TrajectoryRecovery) throws {
            #expect(recovery.damagedCopyPath == partial + ".damaged")
            #expect(!FileManager.default.fileExists(atPath: partial))
            #expect(try Data(contentsOf: URL(fileURLWithPath: partial + ".damaged")) == bytes)
            #expect("\(recovery)".contains("kept as '\(partial).damaged'"), "\(recovery)")
        }
        // Every dataset grown and the record raised, but the chunks never written: they would read as zeros.
        let unwritten = try snapshot("unwritten") { file in
            for name in ["observations", "actions", "rewards", "terminations", "truncations", "seeds", "labels",
                         "values/exact", "values/net", "targets/td0"] {
                let dataset = try file.openDataset(name)
                var shape = try dataset.shape()
                shape[0] = 20
                try dataset.resize(to: shape)
            }
            try file.overwriteAttribute("episode_count", Int64(20))
        }
        let unwrittenBytes = try Data(contentsOf: URL(fileURLWithPath: unwritten))
        recovery = try TrajectoryDatasetWriter.recover(partialPath: unwritten)
        #expect(recovery.episodeCount == 12 && recovery.truncatedAtDamage)
        #expect(try TrajectoryDataset(path: recovery.path).allEpisodes() == episodes)
        try expectKeptAsDamaged(unwritten, unwrittenBytes, recovery)
        // A flipped byte inside the second observations chunk fails its Fletcher-32 checksum.
        let corrupt = try snapshot("corrupt") { _ in }
        let address: UInt64 = try {
            let file = try HDF5File(corrupt)
            defer { try? file.close() }
            return try #require(try file.openDataset("observations").chunkStorage(at: [4, 0, 0])).address
        }()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: corrupt))
        try handle.seek(toOffset: address + 5)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: address + 5)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
        try handle.close()
        let corruptBytes = try Data(contentsOf: URL(fileURLWithPath: corrupt))
        recovery = try TrajectoryDatasetWriter.recover(partialPath: corrupt)
        #expect(recovery.episodeCount == 4 && recovery.truncatedAtDamage)
        #expect(try TrajectoryDataset(path: recovery.path).allEpisodes() == Array(episodes.prefix(4)))
        try expectKeptAsDamaged(corrupt, corruptBytes, recovery)
        // The episodes after the damaged chunk are still intact in the kept copy (the third chunk: 8–11).
        let kept = try HDF5File(corrupt + ".damaged")
        let third = try kept.openDataset("observations").read(as: Float.self, start: [8, 0, 0], count: [4, 7, 2])
        try kept.close()
        #expect(third == Array(episodes[8...].map(\.observations).joined()))
        writer.discard()
    }

    @Test("recovery that would keep a damaged partial file refuses, before publishing, when <partial>.damaged exists")
    func recoveryNeverReplacesADamagedCopy() throws {
        let episodes = try syntheticEpisodes(count: 8)
        let folder = try temporaryFolder("damaged-exists")
        let writer = try Self.writer(folder + "/t.h5", chunk: 4, episodes: episodes)
        try writer.append(contentsOf: episodes)
        let partial = folder + "/copy.h5.partial"
        try FileManager.default.copyItem(atPath: writer.partialPath, toPath: partial)
        writer.discard()
        let file = try HDF5File(partial, mode: .readWrite)         // a commit record past the stored chunks
        for name in ["observations", "actions", "rewards", "terminations", "truncations", "seeds", "labels",
                     "values/exact", "values/net", "targets/td0"] {
            let dataset = try file.openDataset(name)
            var shape = try dataset.shape()
            shape[0] = 12
            try dataset.resize(to: shape)
        }
        try file.overwriteAttribute("episode_count", Int64(12))
        try file.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: partial))
        try Data("an earlier damaged copy".utf8).write(to: URL(fileURLWithPath: partial + ".damaged"))
        #expect { try TrajectoryDatasetWriter.recover(partialPath: partial) } throws: { error in
            error is ReplayError && "\(error)".contains("'\(partial).damaged', but that file exists")
                && "\(error)".contains("Move '\(partial).damaged' away and recover again")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == bytes)
        #expect(try String(contentsOfFile: partial + ".damaged", encoding: .utf8) == "an earlier damaged copy")
        #expect(!FileManager.default.fileExists(atPath: folder + "/copy.h5")
                && !FileManager.default.fileExists(atPath: folder + "/copy.h5.recovering"))
        try FileManager.default.removeItem(atPath: partial + ".damaged")
        let recovery = try TrajectoryDatasetWriter.recover(partialPath: partial)
        #expect(recovery.episodeCount == 8 && recovery.damagedCopyPath == partial + ".damaged")
    }

    @Test("recovery refuses to replace a file, a finished dataset and a name without .partial, leaving the partial file as it was")
    func recoveryRefusals() throws {
        let episodes = try syntheticEpisodes(count: 5)
        let folder = try temporaryFolder("refusals")
        let writer = try Self.writer(folder + "/t.h5", chunk: 2, episodes: episodes)
        try writer.append(contentsOf: episodes)
        let partial = folder + "/copy.h5.partial"
        try FileManager.default.copyItem(atPath: writer.partialPath, toPath: partial)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: partial))
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/copy.h5"))
        #expect { try TrajectoryDatasetWriter.recover(partialPath: partial) } throws: { "\($0)".contains("never replaces a file") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == bytes)
        #expect(try String(contentsOfFile: folder + "/copy.h5", encoding: .utf8) == "keep me")
        try FileManager.default.copyItem(atPath: partial, toPath: folder + "/plain.h5")
        #expect { try TrajectoryDatasetWriter.recover(partialPath: folder + "/plain.h5") } throws: { "\($0)".contains("pass `to:`") }
        let moved = try TrajectoryDatasetWriter.recover(partialPath: folder + "/plain.h5", to: folder + "/moved.h5")
        #expect(moved.episodeCount == 4)
        try writer.finish()
        try FileManager.default.copyItem(atPath: folder + "/t.h5", toPath: folder + "/done.h5.partial")
        #expect { try TrajectoryDatasetWriter.recover(partialPath: folder + "/done.h5.partial") } throws: { "\($0)".contains("complete = true") }
    }

    @Test("a writer refuses to start over an existing partial file and names it; a writer dropped without finish removes its own")
    func existingPartialIsNeverOverwrittenAndDroppedWritersClean() throws {
        let episodes = try syntheticEpisodes(count: 6)
        let folder = try temporaryFolder("refuse-start")
        let path = folder + "/t.h5"
        let first = try Self.writer(path, chunk: 2, episodes: episodes)
        try first.append(contentsOf: episodes.prefix(3))
        let partial = TrajectoryDatasetWriter.partialPath(for: path)
        #expect(first.partialPath == partial && partial == path + ".partial")
        let before = try Data(contentsOf: URL(fileURLWithPath: partial))
        // The first writer is live, so the refusal says so rather than pointing at recovery.
        #expect { _ = try Self.writer(path, chunk: 2, episodes: episodes) } throws: { error in
            "\(error)".contains(partial) && "\(error)".contains("being written right now by a running writer")
                && !"\(error)".contains("inspect --recover")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == before)
        try first.append(contentsOf: episodes.dropFirst(3))
        try first.finish()
        #expect(try TrajectoryDataset(path: path).allEpisodes() == episodes)

        let other = folder + "/dropped.h5"
        do {
            let dropped = try Self.writer(other, chunk: 2, episodes: episodes)
            try dropped.append(contentsOf: episodes)
            #expect(FileManager.default.fileExists(atPath: dropped.partialPath))
        }
        #expect(!FileManager.default.fileExists(atPath: other + ".partial") && !FileManager.default.fileExists(atPath: other))
    }
}
