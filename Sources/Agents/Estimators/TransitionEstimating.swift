/// One transition of the denoising MDP as a training target sees it: x̂ at the smaller time r_i from a
/// point x at time t_i, row by row (METHODS.md §3). Conformers differ only in how they estimate the
/// PF-ODE step — exact, teacher, conditional single sample, score identity, empirical exact — which is
/// the estimator axis of every ablation (DESIGN.md §1).
///
/// Contract: `points` is rows × D (row-major), `times` and `targetTimes` hold one time per row with
/// 0 ≤ r_i ≤ t_i; a row with r_i = t_i is returned unchanged; r_i = 0 asks for the estimator's x₀
/// estimate (a denoising target).
public protocol TransitionEstimating {
    func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double]
}

/// Shared argument checks of the estimators.
enum TransitionValidation {
    static func rows(_ points: [Double], times: [Double], targetTimes: [Double], dimension: Int) throws -> Int {
        guard dimension > 0, points.count == times.count * dimension, targetTimes.count == times.count else {
            throw AgentError.shapeMismatch(
                "a transition got \(points.count) values, \(times.count) times and \(targetTimes.count) target times in dimension \(dimension); expected rows × D values and one time and target time per row")
        }
        for (t, r) in zip(times, targetTimes) where !(r >= 0 && r <= t && t.isFinite) {
            throw AgentError.invalidSetting("transition times (t, r) = (\(t), \(r))", expected: "finite 0 ≤ r ≤ t")
        }
        return times.count
    }
}
