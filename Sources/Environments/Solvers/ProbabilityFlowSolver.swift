/// A solver of the PF-ODE (the MDP's policy, DESIGN.md §1): moves a batch of points from time t to
/// an earlier time r < t along dx/dt = (x − D(x, t)) / t.
///
/// Conformers: ``EulerSolver`` and ``HeunSolver`` (one step, METHODS.md §3.2) and
/// ``DormandPrinceSolver`` (adaptive, to a tolerance, METHODS.md §3.1). The extension integrates
/// along a descending time grid and returns every intermediate state.
///
/// Points are `Double`, row-major: point i occupies `dimension` consecutive values.
public protocol ProbabilityFlowSolver: Sendable {
    /// x̂_r for every point of `points` (count × dimension) given at time t; r < t.
    func solve<Model: Denoiser>(_ points: [Double], from t: Double, to r: Double,
                                along ode: ProbabilityFlowODE<Model>) throws -> [Double]
}

extension ProbabilityFlowSolver {
    /// x̂_r for every point (count × dimension) given at time t, with denoiser D.
    public func solve<Model: Denoiser>(_ points: [Double], dimension: Int, from t: Double, to r: Double,
                                       denoiser: Model) throws -> [Double] {
        try solve(points, from: t, to: r, along: ProbabilityFlowODE(denoiser: denoiser, dimension: dimension))
    }

    /// The states at every time of a descending grid t_max = τ₀ > τ₁ > … > τ_H, starting from
    /// `points` at τ₀: element j is x̂_{τ_j} (element 0 is a copy of `points`), each obtained from the
    /// previous one by one call of ``solve(_:from:to:along:)``.
    public func trajectory<Model: Denoiser>(_ points: [Double], along times: [Double],
                                            ode: ProbabilityFlowODE<Model>) throws -> [[Double]] {
        try SolverValidation.checkGrid(times, endMayBeZero: true)
        _ = try SolverValidation.pointCount(points.count, dimension: ode.dimension)
        var states: [[Double]] = [points]
        states.reserveCapacity(times.count)
        for j in times.indices.dropFirst() {
            states.append(try solve(states[j - 1], from: times[j - 1], to: times[j], along: ode))
        }
        return states
    }

    /// The states at every time of a descending grid (see ``trajectory(_:along:ode:)``).
    public func trajectory<Model: Denoiser>(_ points: [Double], dimension: Int, along times: [Double],
                                            denoiser: Model) throws -> [[Double]] {
        try trajectory(points, along: times, ode: ProbabilityFlowODE(denoiser: denoiser, dimension: dimension))
    }
}
