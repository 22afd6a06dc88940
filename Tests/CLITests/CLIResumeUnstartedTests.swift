import CLIProcess
import Foundation
import Testing

/// `train --config` writes config.yaml and provenance.json before run.json; a stop in between used to
/// leave a folder that `train` refused (it exists) and `resume` could not read (no run.json). `resume`
/// now trains such a folder from step 0 with its config.yaml.
@Suite("consistency-td resume of a configured run stopped before training", .serialized)
struct CLIResumeUnstartedTests {
    static let config = """
        method: ict
        seed: 5
        network: {width: 16, depth: 1}
        training: {steps: 4, batch_size: 16, checkpoint_every: 2}
        evaluation: {metrics: []}
        """

    /// A copy of `reference`'s config.yaml and provenance.json in a new folder `name`: what a stop between
    /// writing them and writing run.json leaves.
    static func leaveUnstarted(_ name: String, from reference: String, in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
        for file in ["config.yaml", "provenance.json"] {
            try FileManager.default.copyItem(atPath: folder + "/\(reference)/\(file)", toPath: folder + "/\(name)/\(file)")
        }
    }

    /// A fresh folder holding `ict.yaml` and a finished `train --config` run of it in `reference`.
    static func trainedReference(_ name: String) throws -> String {
        let folder = try CLI.temporaryFolder(name)
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/ict.yaml"))
        let reference = try CLI.run(["train", "--config", "ict.yaml", "--run-dir", "reference"], in: folder)
        #expect(reference.status == 0, "\(reference.standardError)")
        return folder
    }

    @Test("resume trains the folder from its config.yaml, bit-identical to the uninterrupted run; --steps extends it")
    func unstartedRunIsTrainedByResume() throws {
        let folder = try Self.trainedReference("resume-unstarted")
        let uninterrupted = try CLI.readFloats(folder + "/reference/checkpoints/step-00000004.h5", dataset: "parameters/layers.0.weight").values

        try Self.leaveUnstarted("left", from: "reference", in: folder)
        let refused = try CLI.run(["train", "--config", "ict.yaml", "--run-dir", "left"], in: folder)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("resume"), "\(refused.standardError)")

        let resumed = try CLI.run(["resume", "left"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("stopped before its training started"), "\(resumed.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder + "/left/run.json"))
        let trained = try CLI.readFloats(folder + "/left/checkpoints/step-00000004.h5", dataset: "parameters/layers.0.weight").values
        #expect(trained == uninterrupted)
        // From now on it is an ordinary run: a second resume extends it.
        let extended = try CLI.run(["resume", "left", "--steps", "6"], in: folder)
        #expect(extended.status == 0, "\(extended.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder + "/left/checkpoints/step-00000006.h5"))

        // --steps on the unstarted folder itself: trains to that count, the curricula keeping training.steps.
        // This one was stopped before provenance.json was written, and a lock file and a sweep's failure
        // note are left (both allowed); the provenance is written anew.
        try Self.leaveUnstarted("short", from: "reference", in: folder)
        try FileManager.default.removeItem(atPath: folder + "/short/provenance.json")
        try Data("1 elsewhere\n".utf8).write(to: URL(fileURLWithPath: folder + "/short/.lock"))
        try Data("an old error\n".utf8).write(to: URL(fileURLWithPath: folder + "/short/failure.txt"))
        let short = try CLI.run(["resume", "short", "--steps", "2"], in: folder)
        #expect(short.status == 0, "\(short.standardError)")
        let two = try CLI.readFloats(folder + "/short/checkpoints/step-00000002.h5", dataset: "parameters/layers.0.weight").values
        let referenceTwo = try CLI.readFloats(folder + "/reference/checkpoints/step-00000002.h5", dataset: "parameters/layers.0.weight").values
        #expect(two == referenceTwo)
        #expect(!FileManager.default.fileExists(atPath: folder + "/short/checkpoints/step-00000004.h5"))
        let provenance = try String(contentsOfFile: folder + "/short/provenance.json", encoding: .utf8)
        #expect(provenance.contains("resume") && provenance.contains("short"), "\(provenance)")
    }

    @Test("a folder with config.yaml, no run.json and anything else (a user's file, checkpoints) is refused, untouched, naming it")
    func foreignFilesAreRefused() throws {
        let folder = try Self.trainedReference("resume-unstarted-foreign")
        try Self.leaveUnstarted("odd", from: "reference", in: folder)
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: folder + "/odd/notes.txt"))
        let resumed = try CLI.run(["resume", "odd"], in: folder)
        #expect(resumed.status != 0)
        #expect(resumed.standardError.contains("notes.txt") && resumed.standardError.contains("train --config"), "\(resumed.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/odd").sorted()
        #expect(names == ["config.yaml", "notes.txt", "provenance.json"], "\(names)")

        // Checkpoints without run.json: not something to train again from step 0.
        try Self.leaveUnstarted("checkpointed", from: "reference", in: folder)
        try FileManager.default.copyItem(atPath: folder + "/reference/checkpoints", toPath: folder + "/checkpointed/checkpoints")
        let refused = try CLI.run(["resume", "checkpointed"], in: folder)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("checkpoints"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/checkpointed/run.json"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/checkpointed/.lock"))
    }
}
