/// One Heun step of the PF-ODE in σ-time (METHODS.md §3.2; the EDM sampler's step):
///
///     ε̂  = (x_t − D(x_t, t)) / t,        x′ = x_t + (r − t) ε̂
///     ε̂′ = (x′ − D(x′, r)) / r,          x̂_r = x_t + (r − t)(ε̂ + ε̂′) / 2      (r > 0)
///
/// and the Euler step x̂_r = x′ when r = 0 (the velocity is undefined there). Second-order: the
/// global error along a grid shrinks with the square of the step. Two denoiser calls per step
/// (one when r = 0).
public struct HeunSolver: ProbabilityFlowSolver {
    public init() {}

    public func solve<Model: Denoiser>(_ points: [Double], from t: Double, to r: Double,
                                       along ode: ProbabilityFlowODE<Model>) throws -> [Double] {
        try SolverValidation.checkStep(from: t, to: r, endMayBeZero: true)
        let count = try SolverValidation.pointCount(points.count, dimension: ode.dimension)
        let n = points.count
        var result = [Double](repeating: 0, count: n)
        guard count > 0 else { return result }
        var velocity = [Double](repeating: 0, count: n)
        var secondVelocity = [Double](repeating: 0, count: r > 0 ? n : 0)
        let h = r - t
        try points.withUnsafeBufferPointer { x in
            try result.withUnsafeMutableBufferPointer { out in
                try velocity.withUnsafeMutableBufferPointer { v in
                    try ode.velocity(x.baseAddress!, count: count, time: t, into: v.baseAddress!)
                    for i in 0..<n { out[i] = x[i] + h * v[i] }
                    guard r > 0 else { return }
                    try secondVelocity.withUnsafeMutableBufferPointer { v2 in
                        try ode.velocity(UnsafePointer(out.baseAddress!), count: count, time: r, into: v2.baseAddress!)
                        for i in 0..<n { out[i] = x[i] + h * 0.5 * (v[i] + v2[i]) }
                    }
                }
            }
        }
        return result
    }
}
