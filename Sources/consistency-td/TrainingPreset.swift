import ArgumentParser
import ConsistencyTD

/// The `--preset` of `train`: EDM diffusion pretraining or one of the consistency methods
/// (Agents' ``ConsistencyMethod``, METHODS.md §6).
enum TrainingPreset: String, CaseIterable, Codable, ExpressibleByArgument {
    case diffusion, cd, ct, ict, ect, sct, slct

    /// The consistency method, nil for diffusion pretraining.
    var method: ConsistencyMethod? { ConsistencyMethod(rawValue: rawValue) }
    /// Whether the preset starts from a pretrained diffusion model (`--from`): CD (as teacher and
    /// initial network), ECT and SCT (as initial network).
    var needsDiffusionModel: Bool { method?.startsFromDiffusionModel ?? false }
}
