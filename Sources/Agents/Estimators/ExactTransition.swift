import Environments

/// The exact transition (METHODS.md §3.1): the PF-ODE solved from t to r with the closed-form denoiser
/// (adaptive Dormand–Prince in u = ln t, tolerances ≤ 1e−9). Only for data with a closed-form D. Targets
/// at or below t_min (r = 0 included) get the solution at t_min, i.e. f*(x_t, t).
public struct ExactTransition<Distribution: ClosedFormDistribution>: TransitionEstimating {
    public let distribution: Distribution
    public let minimumTime: Double
    public var solver: DormandPrinceSolver

    public init(distribution: Distribution, minimumTime: Double, solver: DormandPrinceSolver = DormandPrinceSolver()) {
        self.distribution = distribution
        self.minimumTime = minimumTime
        self.solver = solver
    }

    public func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let d = distribution.dimension
        let rows = try TransitionValidation.rows(points, times: times, targetTimes: targetTimes, dimension: d)
        let ode = try ProbabilityFlowODE(denoiser: distribution, dimension: d)
        var result = points
        for row in 0..<rows {
            let t = times[row], r = max(targetTimes[row], minimumTime)
            guard r < t else { continue }
            let solved = try solver.solve(Array(points[(row * d)..<((row + 1) * d)]), from: t, to: r, along: ode)
            for j in 0..<d { result[row * d + j] = solved[j] }
        }
        return result
    }
}
