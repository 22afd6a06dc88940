import CLIProcess
import Foundation
import Testing

/// ECT and SCT only copy the diffusion model into their network at step 0, so resuming them must not
/// need the `--from` checkpoint any more (it may have been rotated away or replaced); CD keeps its
/// teacher for the whole run and still needs it.
@Suite("consistency-td resume without the pretrained model", .serialized)
struct CLIResumeWithoutPretrainedTests {
    @Test("ECT and SCT resume after their --from checkpoint is gone or replaced, bit-identical to the uninterrupted run")
    func tuningResumesWithoutItsDiffusionModel() throws {
        let folder = try CLI.temporaryFolder("resume-without-teacher")
        let teacher = try CLI.run(["train", "--preset", "diffusion", "--steps", "10", "--run-dir", "teacher", "--seed", "1"] + CLI.tiny,
                                  in: folder)
        #expect(teacher.status == 0, "\(teacher.standardError)")
        for preset in ["ect", "sct"] {
            let trained = try CLI.run(["train", "--preset", preset, "--from", "teacher", "--steps", "6", "--checkpoint-every", "3",
                                       "--run-dir", preset, "--seed", "2"] + CLI.tiny, in: folder)
            #expect(trained.status == 0, "\(preset): \(trained.standardError)")
            let checkpoints = folder + "/\(preset)/checkpoints"
            let uninterrupted = try CLI.readFloats(checkpoints + "/step-00000006.h5", dataset: "parameters/layers.0.weight").values
            try FileManager.default.removeItem(atPath: checkpoints + "/step-00000006.h5")
            try "step-00000003.h5\n".write(toFile: checkpoints + "/latest", atomically: true, encoding: .utf8)
            try FileManager.default.moveItem(atPath: folder + "/teacher", toPath: folder + "/teacher-away")
            if preset == "sct" {
                // Replaced by another diffusion model, of another width: its parameters would not even fit.
                let other = try CLI.run(["train", "--preset", "diffusion", "--steps", "2", "--run-dir", "teacher", "--seed", "1",
                                         "--width", "8", "--depth", "1", "--batch-size", "32"], in: folder)
                #expect(other.status == 0, "\(other.standardError)")
            }

            let resumed = try CLI.run(["resume", preset], in: folder)
            #expect(resumed.status == 0, "\(preset) resume without its teacher: \(resumed.standardError)")
            #expect(resumed.standardOutput.contains("steps 3 → 6"), "\(resumed.standardOutput)")
            let again = try CLI.readFloats(checkpoints + "/step-00000006.h5", dataset: "parameters/layers.0.weight").values
            #expect(again == uninterrupted, "\(preset)")
            try? FileManager.default.removeItem(atPath: folder + "/teacher")
            try FileManager.default.moveItem(atPath: folder + "/teacher-away", toPath: folder + "/teacher")
        }
    }

    @Test("CD still needs its teacher: a resume without it fails naming the missing checkpoint")
    func distillationNeedsItsTeacher() throws {
        let folder = try CLI.temporaryFolder("resume-cd-without-teacher")
        let teacher = try CLI.run(["train", "--preset", "diffusion", "--steps", "4", "--run-dir", "teacher", "--seed", "1"] + CLI.tiny,
                                  in: folder)
        #expect(teacher.status == 0, "\(teacher.standardError)")
        let trained = try CLI.run(["train", "--preset", "cd", "--from", "teacher", "--steps", "2", "--run-dir", "cd", "--seed", "2"] + CLI.tiny,
                                  in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        try FileManager.default.removeItem(atPath: folder + "/teacher")
        let resumed = try CLI.run(["resume", "cd", "--steps", "4"], in: folder)
        #expect(resumed.status != 0)
        #expect(resumed.standardError.contains("teacher") && resumed.standardError.contains("does not exist"), "\(resumed.standardError)")
    }

    @Test("a train --config ECT run (training.pretrained) resumes after its pretrained model is gone")
    func configuredTuningResumesWithoutItsDiffusionModel() throws {
        let folder = try CLI.temporaryFolder("resume-config-without-teacher")
        let teacher = try CLI.run(["train", "--preset", "diffusion", "--steps", "4", "--run-dir", "teacher", "--seed", "1"] + CLI.tiny,
                                  in: folder)
        #expect(teacher.status == 0, "\(teacher.standardError)")
        try Data("""
            method: ect
            seed: 3
            network: {width: 16, depth: 1}
            training: {steps: 4, batch_size: 32, checkpoint_every: 2, pretrained: teacher}
            evaluation: {metrics: []}
            """.utf8).write(to: URL(fileURLWithPath: folder + "/ect.yaml"))
        let trained = try CLI.run(["train", "--config", "ect.yaml", "--run-dir", "ect"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let checkpoints = folder + "/ect/checkpoints"
        let uninterrupted = try CLI.readFloats(checkpoints + "/step-00000004.h5", dataset: "parameters/layers.0.weight").values
        try FileManager.default.removeItem(atPath: checkpoints + "/step-00000004.h5")
        try "step-00000002.h5\n".write(toFile: checkpoints + "/latest", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: folder + "/teacher")

        let resumed = try CLI.run(["resume", "ect"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let again = try CLI.readFloats(checkpoints + "/step-00000004.h5", dataset: "parameters/layers.0.weight").values
        #expect(again == uninterrupted)
    }
}
