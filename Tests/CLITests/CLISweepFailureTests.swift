import CLIProcess
import ExperimentKit
import Foundation
import Testing

/// A failed sweep run used to end the sweep command, so every later run of its shard waited on it and
/// each rerun failed on it again; and a run folder left before `run.json` (a stop between making the
/// folder and starting to train) was refused on every later pass.
@Suite("consistency-td sweep: failed and unstarted runs", .serialized)
struct CLISweepFailureTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test("a diverging run is recorded in failure.txt, the runs after it still train, the command exits non-zero, merge names it")
    func failedRunDoesNotBlockTheShard() throws {
        let folder = try CLI.temporaryFolder("sweep-failure")
        // Run 0 (learning rate 10³⁰) turns non-finite at once and stops after 2 skipped steps; run 1 is fine.
        try Self.write("""
            name: lr
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 4, batch_size: 16, checkpoint_every: 2, max_consecutive_non_finite: 2}}
            axes:
              training.learning_rate: [1e30, 0.001]
            """, to: folder + "/sweep.yaml")
        let first = try CLI.run(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(first.status != 0)
        #expect(first.standardError.contains("1 of the shard's 2 runs failed (lr-0)"), "\(first.standardError)")
        #expect(first.standardOutput.contains("lr-0 failed:"), "\(first.standardOutput)")
        #expect(Self.exists(folder + "/out/lr-0/failure.txt"))
        #expect(!Self.exists(folder + "/out/lr-0/\(RunSummary.fileName)"))
        #expect(Self.exists(folder + "/out/lr-1/\(RunSummary.fileName)"), "the run after the failed one must train")
        #expect(!Self.exists(folder + "/out/lr-1/failure.txt"))
        let note = try String(contentsOfFile: folder + "/out/lr-0/failure.txt", encoding: .utf8)
        #expect(note.contains("consecutive"), "\(note)")

        let merged = try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(merged.status == 0, "\(merged.standardError)")
        #expect(merged.standardError.contains("run 0 has no summary yet; the table lacks it") && merged.standardError.contains("run 0 (lr-0) failed:"),
                "\(merged.standardError)")

        // The next pass skips the finished run and retries the failed one (which fails the same way: the run is deterministic).
        let second = try CLI.run(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(second.status != 0)
        #expect(second.standardOutput.contains("lr-1: finished earlier"), "\(second.standardOutput)")
        #expect(second.standardOutput.contains("lr-0 failed:"), "\(second.standardOutput)")
    }

    @Test("a run folder left before run.json is cleared and the run starts; a folder holding anything else is left untouched")
    func unstartedAttemptIsRestarted() throws {
        let folder = try CLI.temporaryFolder("sweep-unstarted")
        try Self.write("""
            name: tiny
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 2, batch_size: 16, checkpoint_every: 2}}
            axes:
              seed: [0, 1]
            """, to: folder + "/sweep.yaml")
        // Run 0: what a stop between creating the folder and writing run.json leaves (plus an old failure note).
        try FileManager.default.createDirectory(atPath: folder + "/out/tiny-0", withIntermediateDirectories: true)
        for name in ["config.yaml", "provenance.json", "failure.txt"] { try Self.write("left over\n", to: folder + "/out/tiny-0/" + name) }
        // Run 1: a folder with a file the sweep did not write.
        try FileManager.default.createDirectory(atPath: folder + "/out/tiny-1", withIntermediateDirectories: true)
        try Self.write("mine\n", to: folder + "/out/tiny-1/notes.txt")

        let result = try CLI.run(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(result.status != 0)
        #expect(Self.exists(folder + "/out/tiny-0/\(RunSummary.fileName)"), "\(result.standardOutput)\n\(result.standardError)")
        #expect(!Self.exists(folder + "/out/tiny-0/failure.txt"))
        #expect(try String(contentsOfFile: folder + "/out/tiny-0/config.yaml", encoding: .utf8) != "left over\n")
        #expect(try String(contentsOfFile: folder + "/out/tiny-1/notes.txt", encoding: .utf8) == "mine\n")
        #expect(!Self.exists(folder + "/out/tiny-1/run.json"))
        #expect(result.standardOutput.contains("tiny-1 failed:") && result.standardOutput.contains("notes.txt"), "\(result.standardOutput)")
    }

    @Test("merge --config refuses summaries of another sweep left in the folder (index past the run count, other axis values)")
    func foreignSummariesAreRefused() throws {
        let folder = try CLI.temporaryFolder("sweep-foreign")
        try Self.write("""
            name: tiny
            config: {method: ict, network: {width: 16, depth: 1}, training: {steps: 2, batch_size: 16, checkpoint_every: 2}}
            axes:
              seed: [0, 1]
            """, to: folder + "/sweep.yaml")
        let trained = try CLI.run(["sweep", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        #expect(try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", "out"], in: folder).status == 0)

        // An earlier sweep of four runs left its run 3 here.
        try RunSummary(index: 3, run: "tiny-3", parameters: ["seed": "3"], values: ["steps": 2]).write(toFolder: folder + "/out/tiny-3")
        let pastCount = try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(pastCount.status != 0)
        #expect(pastCount.standardError.contains("tiny-3 (index 3)") && pastCount.standardError.contains("another sweep"), "\(pastCount.standardError)")
        let unchecked = try CLI.run(["sweep", "--merge", "--out", "out"], in: folder)
        #expect(unchecked.status == 0, "\(unchecked.standardError)")
        #expect(try SweepTable.collect(under: [folder + "/out"]).rows.map(\.index) == [0, 1, 3])
        try FileManager.default.removeItem(atPath: folder + "/out/tiny-3")

        // Run 1's summary written by a sweep over other seeds.
        let path = folder + "/out/tiny-1/\(RunSummary.fileName)"
        var summary = try RunSummary.read(path)
        summary.parameters = ["seed": "7"]
        try summary.write(toFolder: folder + "/out/tiny-1")
        let otherValues = try CLI.run(["sweep", "--merge", "--config", "sweep.yaml", "--out", "out"], in: folder)
        #expect(otherValues.status != 0)
        #expect(otherValues.standardError.contains("tiny-1 (index 1)"), "\(otherValues.standardError)")
    }
}
