import Agents

/// The pretrained diffusion model a tuning method starts from: ECT's and SCT's initial network and
/// CD's teacher. One check for both ways of naming it (`--from` and `training.pretrained`).
enum PretrainedDiffusionModel {
    /// The network stored at `path` (a resolved checkpoint file), or nil when `method` trains from
    /// scratch and no path is given. `setting` names the flag or key in messages; `instruction` says how
    /// to supply a model when one is missing.
    static func network(for method: ConsistencyMethod, path: String?, setting: String, instruction: String) throws -> PreconditionedNetwork? {
        guard let path else {
            if method.startsFromDiffusionModel {
                throw CommandLineFailure("\(method.rawValue) starts from a pretrained diffusion model; \(instruction)")
            }
            return nil
        }
        guard method.startsFromDiffusionModel else {
            throw CommandLineFailure("\(setting) is the pretrained diffusion model of cd, ect and sct; \(method.rawValue) trains from scratch")
        }
        let model = try CheckpointModel.load(path)
        guard model.isDiffusion else {
            throw CommandLineFailure("\(setting) '\(path)' holds a '\(model.method)' checkpoint; expected a diffusion checkpoint (train one with --preset diffusion)")
        }
        return model.network
    }
}
