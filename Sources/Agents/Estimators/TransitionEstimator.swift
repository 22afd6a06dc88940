/// The transition estimator of a training run or a diagnostic, as one swappable value — the estimator
/// axis of every ablation (DESIGN.md §1, METHODS.md §3).
public enum TransitionEstimator: Equatable, Sendable, CustomStringConvertible {
    /// The exact PF-ODE solution with the closed-form denoiser (ground truth; closed-form data only).
    case exact
    /// One Euler or Heun step with a teacher denoiser (CD). The teacher is given to the learner.
    case teacher(TeacherSolver)
    /// x̂_r = x₀ + r z (CT, iCT, ECT).
    case conditionalSample
    /// The score identity over a reference set: the minibatch itself (`referenceSize` nil) or the sample's
    /// own x₀ plus `referenceSize − 1` extra draws from the data (SCT).
    case scoreIdentity(referenceSize: Int?)
    /// The score identity over the whole (finite) training set: the exact denoiser of the empirical
    /// distribution (SCT's limit).
    case empiricalExact

    /// Every name ``named(_:referenceSize:)`` accepts.
    public static let names = ["exact", "teacher-euler", "teacher-heun", "conditional", "score-identity", "empirical-exact"]

    /// Looks an estimator up by name; `referenceSize` applies to "score-identity" (nil: the minibatch).
    public static func named(_ name: String, referenceSize: Int? = nil) throws -> TransitionEstimator {
        switch name.lowercased() {
        case "exact": return .exact
        case "teacher-euler": return .teacher(.euler)
        case "teacher-heun", "teacher": return .teacher(.heun)
        case "conditional", "conditional-sample": return .conditionalSample
        case "score-identity":
            if let referenceSize, referenceSize < 1 {
                throw AgentError.invalidSetting("reference size = \(referenceSize)", expected: "≥ 1")
            }
            return .scoreIdentity(referenceSize: referenceSize)
        case "empirical-exact": return .empiricalExact
        default: throw AgentError.unknownName(kind: "estimator", name: name, valid: names)
        }
    }

    public var description: String {
        switch self {
        case .exact: return "exact"
        case let .teacher(solver): return "teacher-\(solver.rawValue)"
        case .conditionalSample: return "conditional"
        case let .scoreIdentity(size): return size.map { "score-identity-\($0)" } ?? "score-identity"
        case .empiricalExact: return "empirical-exact"
        }
    }
}
