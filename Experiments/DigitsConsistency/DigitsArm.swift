import Agents

/// One trained model of the experiment: a method preset (METHODS.md §6), whether it is class-conditional
/// and where its weights start.
///
/// - `ect`, `sct`: Easy Consistency Tuning (Geng et al. 2024) and Stable Consistency Tuning (Wang et al.
///   2024; score-identity targets over the minibatch) tuned from the unconditional diffusion model.
/// - `ect-cond`, `sct-cond`: the same, class-conditional, tuned from the class-conditional diffusion
///   model; SCT's score identity then weights only same-class references (METHODS.md §3.4).
/// - `ict`: improved Consistency Training (Song & Dhariwal 2023) from a random initialisation.
struct DigitsArm: Sendable, Equatable {
    let name: String
    let method: ConsistencyMethod
    let classConditional: Bool
    /// Tuned from the matching diffusion model (else trained from scratch).
    let tunesFromDiffusion: Bool

    static let all: [DigitsArm] = [
        DigitsArm(name: "ect", method: .ect, classConditional: false, tunesFromDiffusion: true),
        DigitsArm(name: "sct", method: .sct, classConditional: false, tunesFromDiffusion: true),
        DigitsArm(name: "ect-cond", method: .ect, classConditional: true, tunesFromDiffusion: true),
        DigitsArm(name: "sct-cond", method: .sct, classConditional: true, tunesFromDiffusion: true),
        DigitsArm(name: "ict", method: .ict, classConditional: false, tunesFromDiffusion: false),
    ]

    /// The arms named in a comma-separated list ("all" for every arm).
    static func parse(_ text: String) throws -> [DigitsArm] {
        if text == "all" { return all }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ExperimentFailure("--methods is empty; expected names from \(all.map(\.name).joined(separator: ", ")) or all") }
        return try names.map { name in
            guard let arm = all.first(where: { $0.name == name }) else {
                throw ExperimentFailure("--methods: unknown method '\(name)'; expected names from \(all.map(\.name).joined(separator: ", ")) or all")
            }
            return arm
        }
    }
}
