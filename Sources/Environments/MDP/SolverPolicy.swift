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

    /// Solves the batch from t to r. When the solve stops early (``SolverError`` `nonFiniteState`,
    /// `stepSizeUnderflow` or `stepBudgetExceeded`, which an adaptive solver such as Dormand–Prince
    /// throws for its whole group), the rows are solved one at a time and a row that stops early gets
    /// NaN: the MDP's non-finite guard then truncates just that episode, as it does for a fixed-step
    /// solver's NaN, instead of the step failing for every episode. Invalid arguments still throw.
    public func advance(_ points: UnsafePointer<Double>, count: Int, dimension: Int, from t: Double, to r: Double,
                        into output: UnsafeMutablePointer<Double>) throws {
        let input = Array(UnsafeBufferPointer(start: points, count: count * dimension))
        do {
            let result = try solver.solve(input, dimension: dimension, from: t, to: r, denoiser: denoiser)
            output.update(from: result, count: result.count)
        } catch let error as SolverError where Self.stoppedEarly(error) {
            for row in 0..<count {
                let start = row * dimension
                do {
                    let result = try solver.solve(Array(input[start..<start + dimension]), dimension: dimension, from: t, to: r,
                                                  denoiser: denoiser)
                    (output + start).update(from: result, count: dimension)
                } catch let error as SolverError where Self.stoppedEarly(error) {
                    (output + start).update(repeating: .nan, count: dimension)
                }
            }
        }
    }

    /// Whether the solve started and stopped before its end time (not a caller mistake).
    private static func stoppedEarly(_ error: SolverError) -> Bool {
        switch error {
        case .nonFiniteState, .stepSizeUnderflow, .stepBudgetExceeded: true
        case .invalidTimes, .invalidDimension, .countMismatch, .invalidTolerance: false
        }
    }
}
