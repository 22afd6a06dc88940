import Foundation

/// The probability-flow ODE of VE / EDM noising (METHODS.md §0) for a given denoiser.
///
/// In σ-time and in log-time u = ln t:
///
///     dx/dt = (x − D(x, t)) / t,          dx/du = x − D(x, e^u)
///
/// The σ-time velocity ε̂ = (x − D(x, t)) / t is what the Euler and Heun steps use (METHODS.md §3.2);
/// the log-time form is what the adaptive Dormand–Prince solver integrates (it is smooth over the
/// whole range t ∈ [0.002, 80], where the σ-time form is stiff near t = 0).
///
/// The denoiser does not know the dimension of a point (``Denoiser`` takes only a count), so the
/// ODE carries it.
public struct ProbabilityFlowODE<Model: Denoiser> {
    /// The denoiser D(x, t).
    public let denoiser: Model
    /// D, the number of coordinates of one point.
    public let dimension: Int

    public init(denoiser: Model, dimension: Int) throws(SolverError) {
        guard dimension > 0 else { throw .invalidDimension(dimension) }
        self.denoiser = denoiser
        self.dimension = dimension
    }

    /// ε̂ = (x − D(x, t)) / t for `count` points at time t > 0 (count × dimension in and out).
    /// `output` may not alias `points`.
    public func velocity(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                         into output: UnsafeMutablePointer<Double>) throws {
        try denoiser.denoise(points, count: count, time: t, into: output)
        let inverseTime = 1 / t
        for i in 0..<(count * dimension) {
            output[i] = (points[i] - output[i]) * inverseTime
        }
    }

    /// dx/du = x − D(x, e^u) for `count` points at log-time u (count × dimension in and out).
    /// `output` may not alias `points`.
    public func logTimeDerivative(_ points: UnsafePointer<Double>, count: Int, logTime u: Double,
                                  into output: UnsafeMutablePointer<Double>) throws {
        try denoiser.denoise(points, count: count, time: exp(u), into: output)
        for i in 0..<(count * dimension) {
            output[i] = points[i] - output[i]
        }
    }
}
