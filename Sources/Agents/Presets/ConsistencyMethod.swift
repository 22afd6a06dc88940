/// The consistency-model methods of the field, as presets of one learner (METHODS.md §6). Each preset is
/// a ``ConsistencyTrainingConfiguration`` with the paper's defaults; every field stays overridable.
public enum ConsistencyMethod: String, Equatable, Sendable, CaseIterable {
    /// Consistency distillation (Song, Dhariwal, Chen, Sutskever 2023): teacher Heun steps of a pretrained
    /// diffusion model, CM pairs with fixed N = 18, EMA target μ = 0.95, squared L2 (LPIPS unavailable).
    case cd
    /// Consistency training (Song et al. 2023): conditional estimator, CM curriculum N(k) with EMA μ(k), L2.
    case ct
    /// Improved consistency training (Song & Dhariwal 2023): log-normal pairs with doubling curriculum,
    /// stop-gradient target, pseudo-Huber c = 0.00054√D, weight 1/(t_{i+1} − t_i), dropout, RAdam.
    case ict
    /// Easy consistency tuning (Geng, Pokle, Luo, Lin, Kolter 2024): from a pretrained diffusion model, the
    /// mapping r(t) with q = 2 and stepwise stages, stop-gradient target with shared dropout,
    /// √(‖Δ‖² + c²) − c with c = 0 (CIFAR-10), weight 1/(t − r), RAdam lr 1e−4.
    case ect
    /// Stable consistency tuning (Wang, Geng, Li 2024): ECT with continuous stages and the score-identity
    /// (variance-reduced) estimator over the minibatch.
    case sct
    /// Improved latent consistency training, sLCT (Dao, Doan, Liu, Le, Metaxas 2025): iCT pairs, the
    /// conditional estimator with minibatch OT coupling, Cauchy metric with adaptive c, a diffusion loss
    /// at small noise and non-scaling LayerNorm.
    case slct

    /// Looks a method up by name ("cd", "ct", "ict", "ect", "sct", "slct"), listing the valid ones otherwise.
    /// (Diffusion pretraining is not a consistency method: `DiffusionPretrainer`; the command line's
    /// `--preset diffusion` chooses it before asking here.)
    public static func named(_ name: String) throws -> ConsistencyMethod {
        guard let method = ConsistencyMethod(rawValue: name.lowercased()) else {
            throw AgentError.unknownName(kind: "consistency method", name: name, valid: allCases.map(\.rawValue))
        }
        return method
    }

    /// Whether the method starts from a pretrained diffusion model (CD uses it as teacher and initial network).
    public var startsFromDiffusionModel: Bool { self == .cd || self == .ect || self == .sct }
}
