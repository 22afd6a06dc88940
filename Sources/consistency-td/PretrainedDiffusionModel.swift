import Agents

/// The pretrained diffusion model a tuning method starts from: ECT's and SCT's initial network and
/// CD's teacher. One check for both ways of naming it (`--from` and `training.pretrained`).
enum PretrainedDiffusionModel {
    /// The network stored at `path` (a checkpoint file or a run folder, resolved with
    /// ``TrainCommand/resolveCheckpoint(_:)``), or nil when `method` trains from
    /// scratch and no path is given. `setting` names the flag or key in messages; `instruction` says how
    /// to supply a model when one is missing.
    ///
    /// `resumedCheckpoint` is the latest checkpoint of the run being resumed (nil for a fresh start). ECT
    /// and SCT only copy the diffusion model's parameters and σ_d into the new network, and the
    /// checkpoint replaces both, so for them the resumed run's own checkpoint stands in for the diffusion
    /// model: a resume no longer needs a `--from` file that has since been rotated away or replaced.
    /// CD keeps the diffusion model as its teacher for the whole run, so it always loads `path`. ECT/SCT
    /// load `path` when the run's checkpoint cannot be read (the Trainer then reports what is wrong with
    /// the checkpoint); when `path` fails too, the error names both.
    static func network(for method: ConsistencyMethod, path: String?, setting: String, instruction: String,
                        resumedCheckpoint: String? = nil) throws -> PreconditionedNetwork? {
        var ownCheckpointError: (any Error)?
        if let resumedCheckpoint, method == .ect || method == .sct {
            do { return try CheckpointModel.load(resumedCheckpoint, online: true).network } catch { ownCheckpointError = error }
        }
        do {
            return try pretrainedNetwork(for: method, path: path, setting: setting, instruction: instruction)
        } catch {
            guard let ownCheckpointError, let resumedCheckpoint else { throw error }
            throw CommandLineFailure("cannot rebuild the \(method.rawValue) run to resume: its checkpoint \(resumedCheckpoint) is unreadable "
                                     + "(\(ownCheckpointError)), and so is its pretrained model: \(error)")
        }
    }

    private static func pretrainedNetwork(for method: ConsistencyMethod, path given: String?, setting: String,
                                          instruction: String) throws -> PreconditionedNetwork? {
        guard let given else {
            if method.startsFromDiffusionModel {
                throw CommandLineFailure("\(method.rawValue) starts from a pretrained diffusion model; \(instruction)")
            }
            return nil
        }
        guard method.startsFromDiffusionModel else {
            throw CommandLineFailure("\(setting) is the pretrained diffusion model of cd, ect and sct; \(method.rawValue) trains from scratch")
        }
        let path = try TrainCommand.resolveCheckpoint(given)
        let model = try CheckpointModel.load(path)
        guard model.isDiffusion else {
            throw CommandLineFailure("\(setting) '\(path)' holds a '\(model.method)' checkpoint; expected a diffusion checkpoint (train one with --preset diffusion)")
        }
        return model.network
    }
}
