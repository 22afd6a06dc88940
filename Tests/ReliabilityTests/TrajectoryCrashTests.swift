import CLIProcess
import Foundation
import H5pyInterop
import HDF5
import Replay
import Testing

/// Item 10 of the reliability issue, trajectory files: `kill -9` a process streaming episodes into
/// a trajectory dataset after k = 1, 3 and 6 commits. Each time nothing appears under the final
/// name, the partial file opens with libhdf5 and records at least the k·C committed episodes, and
/// recovery publishes a dataset that TrajectoryDataset and h5py read, every episode bit-identical
/// to the same episode of an uninterrupted write with the same seed.
@Suite("Reliability: kill -9 while writing a trajectory dataset")
struct TrajectoryCrashTests {
    static let chunk = 16
    static let seed = 3

    /// The `TrajectoryStreamWriter` helper built beside the test bundle.
    static func helper() throws -> URL {
        let directory = try CLI.binary().deletingLastPathComponent()
        let url = directory.appendingPathComponent("TrajectoryStreamWriter")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CLITestError("TrajectoryStreamWriter is not built next to \(directory.path); build with --build-tests")
        }
        return url
    }

    @Test("killed after 1, 3 and 6 commits: the partial file holds every committed episode, bit-identical, and recovers to a file TrajectoryDataset and h5py read")
    func killedWriterLeavesARecoverablePartialFile() throws {
        let base = try Reliability.folder("trajectory-crash")
        let helper = try Self.helper()
        // The uninterrupted reference: the same episodes, written to the end.
        let reference = try CLIChild(executable: helper, [base + "/reference.h5", "3000", "\(Self.chunk)", "--seed", "\(Self.seed)"], in: base)
        let referenceResult = try reference.wait(timeout: 120)
        try #require(referenceResult.status == 0, "the reference write failed: \(referenceResult.standardError)")
        let expected = try TrajectoryDataset(path: base + "/reference.h5")

        for commits in [1, 3, 6] {
            let path = base + "/crashed-\(commits).h5"
            let partial = TrajectoryDatasetWriter.partialPath(for: path)
            let child = try CLIChild(executable: helper, [path, "1000000", "\(Self.chunk)", "--seed", "\(Self.seed)", "--report-commits",
                                                          "--pause-microseconds", "200"], in: base)
            defer { child.send(SIGKILL) }
            let line = "committed \(commits * Self.chunk)\n"
            let reached = child.waitUntil(timeout: 120) { child.standardOutputSoFar().contains(line) }
            try #require(reached, "k = \(commits): the writer never reported \(line): \(child.standardErrorSoFar())")
            child.send(SIGKILL)
            let result = try child.wait(timeout: 30)
            try #require(result.endedBySignal, "k = \(commits): the writer ended on its own: \(result.standardError)")
            let reported = result.standardOutput.split(separator: "\n").compactMap { Int($0.split(separator: " ").last ?? "") }.max() ?? 0

            // Nothing under the final name; the partial file is HDF5 with the commit record.
            #expect(!FileManager.default.fileExists(atPath: path), "k = \(commits): a file appeared under the final name")
            let file = try HDF5File(partial, mode: .readOnly)
            #expect(try file.attribute("complete", as: Bool.self) == false)
            let committed = Int(try file.attribute("episode_count", as: Int64.self))
            #expect(committed >= reported && committed >= commits * Self.chunk && committed % Self.chunk == 0,
                    "k = \(commits): episode_count \(committed), last reported commit \(reported)")
            #expect(try file.openDataset("observations").shape()[0] >= committed)
            try file.close()

            // Reading the final name points at the partial file; so does starting a new writer there.
            do { _ = try TrajectoryDataset(path: path); Issue.record("a missing file opened") } catch {
                #expect("\(error)".contains(partial) && "\(error)".contains("inspect --recover"), "\(error)")
            }
            do { _ = try TrajectoryDataset(path: partial); Issue.record("a partial file opened as a dataset") } catch {
                #expect("\(error)".contains("partial") && "\(error)".contains("\(committed) committed episodes"), "\(error)")
            }

            // Recovery: every committed episode, bit-identical to the uninterrupted write.
            let recovery = try TrajectoryDatasetWriter.recover(partialPath: partial)
            #expect(recovery.path == path && recovery.episodeCount == committed && !recovery.truncatedAtDamage, "\(recovery)")
            #expect(!FileManager.default.fileExists(atPath: partial))
            let recovered = try TrajectoryDataset(path: path)
            #expect(!recovered.isComplete && recovered.recoveredFrom == partial)
            #expect(recovered.episodeCount == committed && recovered.metadata == expected.metadata)
            try #require(committed <= expected.episodeCount, "the reference is too short for \(committed) episodes")
            var block = 0
            while block < committed {
                let range = block..<min(block + 256, committed)
                let got = try recovered.episodes(range), want = try expected.episodes(range)
                #expect(got.map { $0.observations.bitPatterns } == want.map { $0.observations.bitPatterns }, "k = \(commits), episodes \(range)")
                #expect(got == want, "k = \(commits), episodes \(range)")
                block = range.upperBound
            }

            // h5py reads the recovered file: every dataset has N rows, the last episode's bytes agree.
            if H5pyPython.shouldRun {
                let python = try H5pyPython.required()
                let last = try recovered.episode(committed - 1).observations.bitPatterns.map { String(format: "%08x", $0.byteSwapped) }.joined()
                let script = """
                    import sys, h5py
                    f = h5py.File(sys.argv[1], "r")
                    n = int(sys.argv[2])
                    assert bool(f.attrs["complete"]) is False and int(f.attrs["episode_count"]) == n, dict(f.attrs)
                    assert f.attrs["recovered_from"] == sys.argv[4], f.attrs["recovered_from"]
                    for name in ["observations", "actions", "rewards", "terminations", "truncations", "seeds"]:
                        assert f[name].shape[0] == n, (name, f[name].shape)
                    assert f["observations"][n - 1].astype("<f4").tobytes().hex() == sys.argv[3]
                    assert int(f["seeds"][n - 1]) == n - 1
                    print("ok")
                    """
                let run = try H5pyPython.run(python, ["-c", script, path, "\(committed)", last, partial])
                #expect(run.status == 0 && run.output.contains("ok"), "h5py: \(run.output)")
            }
        }
        try? FileManager.default.removeItem(atPath: base)
    }
}

extension Array where Element == Float {
    /// The bit patterns, for bitwise comparison.
    var bitPatterns: [UInt32] { map { $0.bitPattern } }
}
