import Agents
import CLIProcess
import Foundation
import Testing

/// `train --preset diffusion` options: applied when the pretrainer has them, refused (in
/// `CLIBadInputTests`) when only the consistency presets have them — never stored in run.json and ignored.
@Suite("consistency-td train --preset diffusion options")
struct CLIDiffusionOptionsTests {
    @Test("--dropout reaches the diffusion model's network (it was recorded in run.json and ignored)")
    func dropoutReachesTheDiffusionNetwork() throws {
        let folder = try CLI.temporaryFolder("diffusion-dropout")
        let result = try CLI.run(["train", "--preset", "diffusion", "--steps", "2", "--checkpoint-every", "2", "--dropout", "0.25",
                                  "--run-dir", "teacher"] + CLI.tiny, in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        let model = try CheckpointModel.load(folder + "/teacher/checkpoints/step-00000002.h5")
        #expect(model.network.architecture.dropout == 0.25)
    }
}
