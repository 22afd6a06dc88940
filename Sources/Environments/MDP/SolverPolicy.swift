/// A ``TransitionPolicy`` that follows the PF-ODE with a solver and a denoiser — the transition
/// estimators of METHODS.md §3 that need no network:
/// - **exact**: ``DormandPrinceSolver`` (tolerance ≤ 1e−9) with a closed-form distribution's denoiser;
/// - **teacher**: ``EulerSolver`` or ``HeunSolver`` with any ``Denoiser`` (closed form today, a
///   trained diffusion network once `Agents` provides one).
/// The conditional single-sample estimator needs the (x₀, z) behind x_t instead of a policy; see
/// ``ConditionalSampleEstimator``.
public struct SolverPolicy<Solver: ProbabilityFlowSolver, Model: Denoiser>: TransitionPolicy {
    public let solver: Solver
    public let denoiser: Model

    public init(solver: Solver, denoiser: Model) {
        self.solver = solver
        self.denoiser = denoiser
    }

    public func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                        into output: UnsafeMutablePointer<Double>) throws {
        let input = Array(UnsafeBufferPointer(start: points, count: count * dimension))
        let result = try solver.solve(input, dimension: dimension, from: t, to: r, denoiser: denoiser)
        output.update(from: result, count: result.count)
    }
}
