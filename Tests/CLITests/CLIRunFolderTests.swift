import CLIProcess
import Foundation
import Testing

/// What `train` and `resume` do with run folders in odd states: one that stopped before its first
/// checkpoint, and one that holds a run without `run.json`.
@Suite("consistency-td run folders: restart before the first checkpoint, foreign runs")
struct CLIRunFolderTests {
    /// A kill before the first checkpoint leaves run.json and metrics but no checkpoint; `resume` used to
    /// fail ("no checkpoint … start the run with Trainer.run()") and `train` to refuse the folder.
    @Test("resume trains a run without any checkpoint again from step 0, says so, keeps the partial metrics and matches an uninterrupted run")
    func resumeRestartsARunWithoutCheckpoint() throws {
        let folder = try CLI.temporaryFolder("restart-before-checkpoint")
        let arguments = ["train", "--preset", "ict", "--steps", "6", "--checkpoint-every", "100", "--seed", "5"] + CLI.tiny
        for run in ["reference", "killed"] {
            let result = try CLI.run(arguments + ["--run-dir", run], in: folder)
            #expect(result.status == 0, "\(result.standardError)")
        }
        try FileManager.default.removeItem(atPath: folder + "/killed/checkpoints")   // as if killed before step 100
        let resumed = try CLI.run(["resume", "killed"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("had no checkpoint yet") && resumed.standardError.contains("from step 0"),
                "\(resumed.standardError)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/killed")
        #expect(files.filter { $0.hasPrefix("metrics.csv.before-restart-") || $0.hasPrefix("metrics.h5.before-restart-") }.count == 2, "\(files)")
        let reference = try String(contentsOfFile: folder + "/reference/metrics.csv", encoding: .utf8)
        #expect(try String(contentsOfFile: folder + "/killed/metrics.csv", encoding: .utf8) == reference)
        #expect(FileManager.default.fileExists(atPath: folder + "/killed/checkpoints/step-00000006.h5"))
    }

    @Test("train --run-dir refuses a folder holding a run without run.json, before writing anything into it")
    func trainRefusesAForeignRun() throws {
        let folder = try CLI.temporaryFolder("foreign-run")
        try FileManager.default.createDirectory(atPath: folder + "/api-run", withIntermediateDirectories: true)
        try Data("step,train/loss\n1,0.5\n".utf8).write(to: URL(fileURLWithPath: folder + "/api-run/metrics.csv"))
        let result = try CLI.run(["train", "--preset", "ict", "--steps", "2", "--run-dir", "api-run"] + CLI.tiny, in: folder)
        #expect(result.status != 0 && result.errorLines.count == 1, "\(result.standardError)")
        #expect(result.standardError.contains("already holds run files (metrics.csv)"), "\(result.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/api-run").sorted() == [".lock", "metrics.csv"]
                || (try FileManager.default.contentsOfDirectory(atPath: folder + "/api-run")) == ["metrics.csv"])
    }

    /// `training.pretrained: teacher` was stored as written and resolved again on resume: against the
    /// directory resume ran in and the teacher's *current* latest, so an extended teacher changed CD's.
    @Test("a configured run stores training.pretrained as the absolute checkpoint file it named, in config.yaml and run.json")
    func pretrainedIsStoredAsAnAbsoluteFile() throws {
        let folder = try CLI.temporaryFolder("pretrained-absolute")
        let teacher = try CLI.run(["train", "--preset", "diffusion", "--steps", "2", "--checkpoint-every", "2", "--run-dir", "teacher"] + CLI.tiny,
                                  in: folder)
        #expect(teacher.status == 0, "\(teacher.standardError)")
        let config = """
            method: cd
            network: {width: 16, depth: 1}
            training: {steps: 2, batch_size: 16, checkpoint_every: 2, pretrained: teacher}
            evaluation: {metrics: []}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/cd.yaml"))
        let trained = try CLI.run(["train", "--config", "cd.yaml", "--run-dir", "cd"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let teacherFile = URL(fileURLWithPath: folder + "/teacher/checkpoints/step-00000002.h5").standardizedFileURL.path
        let stored = try String(contentsOfFile: folder + "/cd/config.yaml", encoding: .utf8)
        #expect(stored.contains("pretrained: \"\(teacherFile)\""), "\(stored)")
        let recipe = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/cd/run.json"))) as? [String: Any])
        #expect(recipe["from"] as? String == teacherFile)
        // The teacher moves on; resuming CD (from another directory) still finds its own teacher.
        #expect(try CLI.run(["resume", "teacher", "--steps", "4"], in: folder).status == 0)
        let resumed = try CLI.run(["resume", folder + "/cd", "--steps", "4"], in: NSTemporaryDirectory())
        #expect(resumed.status == 0, "\(resumed.standardError)")
    }
}
