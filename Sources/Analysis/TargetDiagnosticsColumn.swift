import Agents

/// One diagnosed TD target: a transition estimator (METHODS.md §3) combined with a return (TD(0),
/// n-step, TD(λ) or Monte Carlo; METHODS.md §4). Its ``name`` keys the results, the table rows and the
/// HDF5 groups `estimators/<name>`: the estimator's name ("exact", "teacher-euler", "teacher-heun",
/// "conditional", "score-identity-<n>", "empirical-exact") for TD(0), followed by "-<target>"
/// otherwise ("teacher-heun-nstep-4", "conditional-lambda-0.8", "exact-monte-carlo").
public struct TargetDiagnosticsColumn: Equatable, Sendable, CustomStringConvertible {
    public let estimator: TransitionEstimator
    public let target: TDTarget

    public init(estimator: TransitionEstimator, target: TDTarget = .td0) {
        self.estimator = estimator
        self.target = target
    }

    public var name: String { target == .td0 ? estimator.description : "\(estimator)-\(target)" }
    public var description: String { name }

    /// Whether the target is random given x_t: the conditional and score-identity estimators draw a
    /// posterior sample x₀′ ~ p(x₀ | x_t) (and reference samples); the others are deterministic, so their
    /// sample variance is 0 and one draw gives the mean.
    var isStochastic: Bool {
        switch estimator {
        case .conditionalSample, .scoreIdentity: return true
        case .exact, .teacher, .empiricalExact: return false
        }
    }

    /// Every estimator × target combination, estimators outermost.
    public static func grid(estimators: [TransitionEstimator], targets: [TDTarget] = [.td0]) -> [TargetDiagnosticsColumn] {
        estimators.flatMap { estimator in targets.map { TargetDiagnosticsColumn(estimator: estimator, target: $0) } }
    }

    /// The estimators named by `names` (``TransitionEstimator/names``), with "score-identity" expanded
    /// into one estimator per reference size n (the reference set is the posterior draw plus n − 1 fresh
    /// data samples, METHODS.md §10.2).
    public static func estimators(named names: [String], referenceSizes: [Int]) throws -> [TransitionEstimator] {
        var result: [TransitionEstimator] = []
        for name in names {
            let estimator = try TransitionEstimator.named(name)
            if case .scoreIdentity = estimator {
                guard !referenceSizes.isEmpty else {
                    throw TargetDiagnosticsError.invalidSetting("reference sizes for score-identity (none given)", expected: "at least one size n ≥ 1")
                }
                for size in referenceSizes { result.append(try TransitionEstimator.named(name, referenceSize: size)) }
            } else {
                result.append(estimator)
            }
        }
        return result
    }
}
