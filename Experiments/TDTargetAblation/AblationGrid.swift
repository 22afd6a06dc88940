import Agents
import Environments

/// One data set of the ablation: a name used as the HDF5 group and in the table, and the mixture.
struct AblationEnvironment {
    let name: String
    let summary: String
    let mixture: GaussianMixture

    /// The 2-D ring of 8 Gaussians (radius 2, std 0.1, as Experiments/RingOfEight) and a 16-D mixture of
    /// 8 Gaussians with means N(0, I) (std 0.1) drawn from mixture seed 16 (the same mixture for every
    /// run seed).
    static func all() throws -> [AblationEnvironment] {
        [AblationEnvironment(name: "ring8", summary: "2-D ring of 8 Gaussians (radius 2, std 0.1)",
                             mixture: try GaussianMixture.ring(modes: 8, radius: 2, std: 0.1)),
         AblationEnvironment(name: "gmm16", summary: "16-D mixture of 8 Gaussians, means N(0, I) from mixture seed 16, std 0.1",
                             mixture: try GaussianMixture.random(dimension: 16, modes: 8, seed: 16, spread: 1, std: 0.1))]
    }
}

/// One cell of the grid: the TD target (METHODS.md §4) and the transition estimator (METHODS.md §3).
struct AblationConfiguration: Equatable {
    let target: TDTarget
    let estimator: TransitionEstimator

    /// The full grid, target-major: TD(0), n-step (2, 4, 8), TD(λ) (0.5, 0.9; horizon 8) ×
    /// conditional, score identity (reference 64, 256, 1024), teacher (EDM diffusion model, Heun) — 30 cells.
    static let grid: [AblationConfiguration] = {
        let targets: [TDTarget] = [.td0, .nStep(2), .nStep(4), .nStep(8), .lambda(0.5), .lambda(0.9)]
        let estimators: [TransitionEstimator] = [.conditionalSample, .scoreIdentity(referenceSize: 64), .scoreIdentity(referenceSize: 256),
                                                 .scoreIdentity(referenceSize: 1024), .teacher(.heun)]
        return targets.flatMap { target in estimators.map { AblationConfiguration(target: target, estimator: $0) } }
    }()
}
