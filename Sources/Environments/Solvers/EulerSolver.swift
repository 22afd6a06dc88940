/// One Euler step of the PF-ODE in σ-time (METHODS.md §3.2, the teacher estimator):
///
///     ε̂ = (x_t − D(x_t, t)) / t,      x̂_r = x_t + (r − t) ε̂
///
/// First-order: the global error along a grid shrinks linearly with the step. At r = 0 the step
/// gives x̂_0 = D(x_t, t), the denoiser's estimate itself. One denoiser call per step.
public struct EulerSolver: ProbabilityFlowSolver {
    public init() {}

    public func solve<Model: Denoiser>(_ points: [Double], from t: Double, to r: Double,
                                       along ode: ProbabilityFlowODE<Model>) throws -> [Double] {
        try SolverValidation.checkStep(from: t, to: r, endMayBeZero: true)
        let count = try SolverValidation.pointCount(points.count, dimension: ode.dimension)
        var result = [Double](repeating: 0, count: points.count)
        guard count > 0 else { return result }
        try points.withUnsafeBufferPointer { x in
            try result.withUnsafeMutableBufferPointer { out in
                try ode.velocity(x.baseAddress!, count: count, time: t, into: out.baseAddress!)
                let h = r - t
                for i in 0..<x.count { out[i] = x[i] + h * out[i] }
            }
        }
        return result
    }
}
