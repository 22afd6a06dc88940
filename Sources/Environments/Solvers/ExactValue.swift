/// The exact consistency function and value of a distribution with a closed-form denoiser
/// (METHODS.md §0, DESIGN.md §1):
///
///     f*(x, t) = the PF-ODE solution at t_min started from (x, t),     V*(x, t) = f*(x, t) − x
///
/// computed by ``DormandPrinceSolver`` in u = ln t (tolerances ≤ 1e−9 by default). The boundary is
/// exact: f*(x, t_min) = x and V*(x, t_min) = 0 with no solve. Times below t_min are rejected
/// (f* is defined on [t_min, ∞)).
public struct ExactValue<Distribution: ClosedFormDistribution>: Sendable {
    /// The data distribution whose closed-form denoiser drives the PF-ODE.
    public let distribution: Distribution
    /// t_min, where every trajectory ends (0.002 by default, METHODS.md §0).
    public let minimumTime: Double
    /// The adaptive solver (rtol = atol = 1e−9 by default).
    public var solver: DormandPrinceSolver

    public init(distribution: Distribution, minimumTime: Double = 0.002,
                solver: DormandPrinceSolver = DormandPrinceSolver()) throws(SolverError) {
        guard minimumTime.isFinite, minimumTime > 0 else {
            throw .invalidTimes("the minimum time t_min = \(minimumTime) must be finite and positive")
        }
        self.distribution = distribution
        self.minimumTime = minimumTime
        self.solver = solver
    }

    /// f*(x, t) for every point (count × dimension) given at one time t ≥ t_min.
    public func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        try consistencyWithStatistics(points, time: t).points
    }

    /// f*(x, t) and what the solve cost (zero statistics at t = t_min).
    public func consistencyWithStatistics(_ points: [Double], time t: Double) throws
        -> (points: [Double], statistics: DormandPrinceSolver.Statistics)
    {
        _ = try SolverValidation.pointCount(points.count, dimension: distribution.dimension)
        try checkTime(t)
        if t == minimumTime { return (points, DormandPrinceSolver.Statistics()) }
        let ode = try ProbabilityFlowODE(denoiser: distribution, dimension: distribution.dimension)
        return try solver.solveWithStatistics(points, from: t, to: minimumTime, along: ode)
    }

    /// f* is defined for finite t ≥ t_min.
    private func checkTime(_ t: Double) throws(SolverError) {
        guard t.isFinite, t >= minimumTime else {
            throw .invalidTimes("f*(x, t) needs a finite time t ≥ t_min = \(minimumTime), not t = \(t)")
        }
    }

    /// V*(x, t) = f*(x, t) − x for every point (count × dimension) at one time t ≥ t_min.
    public func value(_ points: [Double], time t: Double) throws -> [Double] {
        var result = try consistency(points, time: t)
        for i in result.indices { result[i] -= points[i] }
        return result
    }

    /// f*(x_i, t_i) for points at different times (count × dimension points, `count` times): points
    /// that share a time are solved together. Every time is checked first (the first invalid one, by
    /// index, is the error), then the groups are solved in ascending order of time, so when several
    /// solves fail the error is always that of the smallest such time.
    public func consistency(_ points: [Double], times: [Double]) throws -> [Double] {
        let dimension = distribution.dimension
        let count = try SolverValidation.pointCount(points.count, dimension: dimension)
        guard times.count == count else {
            throw SolverError.countMismatch(values: points.count, dimension: dimension, expectedCount: times.count)
        }
        for t in times { try checkTime(t) }
        var result = points
        var groups: [Double: [Int]] = [:]
        for (i, t) in times.enumerated() { groups[t, default: []].append(i) }
        // A Dictionary's order differs between processes; sorted times make the first error reproducible.
        for t in groups.keys.sorted() {
            let members = groups[t]!
            var gathered = [Double](); gathered.reserveCapacity(members.count * dimension)
            for i in members { gathered.append(contentsOf: points[(i * dimension)..<((i + 1) * dimension)]) }
            let solved = try consistency(gathered, time: t)
            for (j, i) in members.enumerated() {
                for d in 0..<dimension { result[i * dimension + d] = solved[j * dimension + d] }
            }
        }
        return result
    }
}
