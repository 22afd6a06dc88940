import Agents

/// The settings of a target-diagnostics run (METHODS.md §10): which pairs (t, r), which TD targets,
/// how many query states and draws, and the seed.
///
/// Pairs are every listed time t combined with every step size of ``steps``, t outermost: pair
/// k = i·(step count) + j has t = times[i] and the j-th step size.
public struct TargetDiagnosticsSettings: Equatable, Sendable {
    /// The times t of the query states x_t = x₀ + t z (each t > t_min).
    public var times: [Double]
    /// The step sizes: r values, r/t ratios or grid-step counts, and the path rule of multi-step returns.
    public var steps: TargetStepRule
    /// The diagnosed targets: estimator × return.
    public var columns: [TargetDiagnosticsColumn]
    /// M, the query states per pair.
    public var queryCount: Int
    /// S, the target draws per query state (≥ 2: the variance has ddof = 1).
    public var sampleCount: Int
    /// The seed of every named random stream.
    public var seed: UInt64
    /// t_min, where f* ends (the bootstrap's own t_min must agree).
    public var minimumTime: Double
    /// The training-set size of the empirical-exact estimator when the data are not a finite dataset
    /// (for an ``EmpiricalDataset`` the whole dataset is used).
    public var empiricalSetSize: Int

    public init(times: [Double], steps: TargetStepRule, columns: [TargetDiagnosticsColumn], queryCount: Int = 64,
                sampleCount: Int = 512, seed: UInt64 = 0, minimumTime: Double = 0.002, empiricalSetSize: Int = 1024) {
        self.times = times
        self.steps = steps
        self.columns = columns
        self.queryCount = queryCount
        self.sampleCount = sampleCount
        self.seed = seed
        self.minimumTime = minimumTime
        self.empiricalSetSize = empiricalSetSize
    }

    /// Checks every setting; each failure names the setting and what is allowed.
    public func validate() throws {
        guard minimumTime.isFinite, minimumTime > 0 else {
            throw TargetDiagnosticsError.invalidSetting("t_min = \(minimumTime)", expected: "a finite t_min > 0 (default 0.002)")
        }
        guard !times.isEmpty else { throw TargetDiagnosticsError.invalidSetting("time list (empty)", expected: "at least one time t") }
        for t in times where !(t.isFinite && t > minimumTime) {
            throw TargetDiagnosticsError.invalidSetting("time t = \(t)", expected: "a finite t > t_min = \(minimumTime)")
        }
        try steps.validate(times: times)
        guard !columns.isEmpty else {
            throw TargetDiagnosticsError.invalidSetting("estimator list (empty)", expected: "at least one of \(TransitionEstimator.names.joined(separator: ", "))")
        }
        for column in columns {
            try column.target.validate()
            if case .scoreIdentity(nil) = column.estimator {
                throw TargetDiagnosticsError.invalidSetting("score-identity without a reference size",
                                                            expected: "a reference size n ≥ 1 (the posterior draw plus n − 1 data samples)")
            }
            if case let .scoreIdentity(size?) = column.estimator, size < 1 {
                throw TargetDiagnosticsError.invalidSetting("score-identity reference size n = \(size)",
                                                            expected: "a reference size n ≥ 1 (the posterior draw plus n − 1 data samples)")
            }
        }
        let names = columns.map(\.name)
        guard Set(names).count == names.count else {
            throw TargetDiagnosticsError.invalidSetting("estimator list \(names) (repeated entries)", expected: "each estimator and target once")
        }
        guard queryCount >= 1 else { throw TargetDiagnosticsError.invalidSetting("query count M = \(queryCount)", expected: "M ≥ 1") }
        guard sampleCount >= 2 else {
            throw TargetDiagnosticsError.invalidSetting("sample count S = \(sampleCount)", expected: "S ≥ 2 (the variance uses ddof = 1)")
        }
        guard empiricalSetSize >= 1 else {
            throw TargetDiagnosticsError.invalidSetting("empirical set size \(empiricalSetSize)", expected: "≥ 1")
        }
    }

    /// The pairs (t, r) in file order. An r in (0, t_min) — a small ratio at a small t — is t_min, where
    /// its path goes (``TimePaths`` makes every time in (0, t_min) terminal at t_min), so the recorded r is
    /// the r the targets used; r = 0 stays 0 (a denoising target).
    var pairs: [(time: Double, targetTime: Double, stepIndex: Int)] {
        times.flatMap { t in
            (0..<steps.count).map { index in
                let r = steps.targetTime(at: t, index: index)
                return (t, r > 0 && r < minimumTime ? minimumTime : r, index)
            }
        }
    }
}
