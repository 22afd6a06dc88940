import Foundation
import HDF5
@testable import Replay
import Testing

/// A commit that fails part-way leaves the partial file with some datasets extended and others not:
/// the writer must then refuse to go on (append) or to publish (finish), and abandon must keep exactly
/// the episodes of the earlier, complete commits. The failure is real: an episode whose `values/net`
/// rows are too short (only module code can build one; `@testable` stands in for such a bug) makes
/// the hyperslab append of `/values/net` throw after `/observations` … `/values/exact` were extended.
@Suite("Trajectory writer: a failed commit ends the write")
struct TrajectoryWriterFailedCommitTests {
    static func writer(_ path: String, chunk: Int, times: [Double]) throws -> TrajectoryDatasetWriter {
        try TrajectoryDatasetWriter(path: path, metadata: testMetadata, dimension: 2, times: times,
                                    valueNames: ["exact", "net"], targetNames: ["td0"], hasLabels: true, chunkEpisodes: chunk)
    }

    /// `episode` with its `values/net` one row short.
    static func misshapen(_ episode: Episode) -> Episode {
        var broken = episode
        broken.values["net"] = Array(episode.values["net"]!.dropLast(2))
        return broken
    }

    @Test("after a commit fails part-way, append and finish throw naming the failure and what abandon keeps; nothing is published")
    func failedCommitRefusesAppendAndFinish() throws {
        let episodes = try syntheticEpisodes(count: 9)
        for method in [TrajectoryDatasetWriter.ChunkWriteMethod.hyperslab, .direct] {
            let path = try temporaryFolder("failed-commit") + "/t.h5"
            let writer = try Self.writer(path, chunk: 3, times: episodes[0].times)
            writer.chunkWrites = method
            try writer.append(contentsOf: episodes.prefix(3))                  // commit 1: episodes 0–2
            try writer.append(contentsOf: episodes[3..<5])
            #expect(throws: HDF5Error.self, "\(method)") { try writer.append(Self.misshapen(episodes[5])) }    // commit 2 fails
            #expect(writer.committedEpisodeCount == 3)
            if method == .hyperslab {
                // The torn commit extended the datasets before /values/net, not it: the file is inconsistent.
                let file = try HDF5File(writer.partialPath)
                #expect(try file.openDataset("observations").shape()[0] == 6 && file.openDataset("values/net").shape()[0] == 3)
                try file.close()
            }
            func refusal(_ message: String) -> Bool {
                message.contains("the writer failed earlier, in the commit of episodes 3..<6")
                    && message.contains(method == .hyperslab ? "H5Dset_extent" : "H5Dwrite_chunk") && message.contains("nothing will be published at '\(path)'")
                    && message.contains("abandon() keeps the 3 episodes of the earlier commits in '\(writer.partialPath)'")
                    && message.contains("discard() removes it") && !message.contains("\n")
            }
            for episode in episodes[6...] {
                #expect("\(method)", performing: { try writer.append(episode) }, throws: { refusal("\($0)") })
            }
            #expect("\(method)", performing: { try writer.finish() }, throws: { refusal("\($0)") })
            #expect(!FileManager.default.fileExists(atPath: path), "\(method): a failed writer published '\(path)'")

            #expect(writer.abandon() == 3)
            let recovery = try TrajectoryDatasetWriter.recover(partialPath: writer.partialPath)
            #expect(recovery.episodeCount == 3 && recovery.damagedCopyPath == nil, "\(recovery)")
            #expect(try TrajectoryDataset(path: path).allEpisodes() == Array(episodes.prefix(3)))
        }
    }

    @Test("a failed first commit leaves nothing to keep: the refusal says so, and abandon and discard remove the partial file")
    func failedFirstCommit() throws {
        let episodes = try syntheticEpisodes(count: 4)
        let folder = try temporaryFolder("failed-first-commit")
        for end in ["abandon", "discard"] {
            let writer = try Self.writer(folder + "/\(end).h5", chunk: 2, times: episodes[0].times)
            writer.chunkWrites = .hyperslab
            try writer.append(episodes[0])
            #expect(throws: HDF5Error.self) { try writer.append(Self.misshapen(episodes[1])) }
            #expect { try writer.append(episodes[2]) } throws: {
                "\($0)".contains("no commit completed before it, so abandon() and discard() both remove '\(writer.partialPath)'")
            }
            if end == "abandon" { #expect(writer.abandon() == 0) } else { writer.discard() }
            #expect(!FileManager.default.fileExists(atPath: writer.partialPath) && !FileManager.default.fileExists(atPath: writer.path))
        }
    }

    @Test("repeated value or target names are refused with the name, before any file is created")
    func duplicateNamesAreRefused() throws {
        let folder = try temporaryFolder("duplicate-names")
        let times = try syntheticEpisodes(count: 1)[0].times
        for (values, targets, fragment) in [(["exact", "exact"], [String](), "the value names [\"exact\", \"exact\"] list 'exact' more than once"),
                                            (["exact"], ["td0", "nstep-4", "td0"], "the target names [\"td0\", \"nstep-4\", \"td0\"] list 'td0' more than once")] {
            #expect {
                try TrajectoryDatasetWriter(path: folder + "/t.h5", metadata: testMetadata, dimension: 2, times: times,
                                            valueNames: values, targetNames: targets)
            } throws: { error in
                error is ReplayError && "\(error)".contains(fragment) && "\(error)".contains("must appear once")
            }
            #expect(!FileManager.default.fileExists(atPath: folder + "/t.h5.partial"))
        }
        // A value and a target may share a name: they live in different groups.
        let shared = try TrajectoryDatasetWriter(path: folder + "/shared.h5", metadata: testMetadata, dimension: 2, times: times,
                                                 valueNames: ["exact"], targetNames: ["exact"])
        shared.discard()
    }
}
