import Environments
import Tensors

/// The deterministic EDM sampler for a diffusion model (METHODS.md §8; Karras et al. 2022,
/// "Elucidating the Design Space of Diffusion-Based Generative Models", Algorithm 1 with S_churn = 0):
///
///     x = t₀ · z,  z ~ N(0, I)
///     Heun steps of dx/dt = (x − D(x, t)) / t  from t_i to t_{i+1}, i = 0 … N − 2
///     (``HeunSolver``: ε̂ = (x − D(x, t_i))/t_i, x′ = x + (t_{i+1} − t_i) ε̂, then the trapezoidal correction)
///
/// on the Karras grid t₀ = t_max > t₁ > … > t_{N−1} = t_min (ρ = 7, t_min = 0.002, t_max = 80,
/// N = 18 by default; ``TimeGrid/karras(count:minimum:maximum:exponent:)``).
///
/// Ending: EDM appends t_N = 0 and takes a final Euler step t_min → 0 (its velocity at 0 is undefined,
/// so no correction); that is the default here (`endsAtZero = true`), and it gives EDM's count of
/// 2(N − 1) + 1 = 35 denoiser calls for N = 18. With `endsAtZero = false` the sampler stops at t_min,
/// the end point of the consistency function f* (METHODS.md §0) — the two differ by one Euler step of
/// size t_min, i.e. by noise of level t_min = 0.002.
///
/// Randomness: the count × D initial normals, drawn row-major from the caller's stream; nothing else
/// is random, so the same stream state gives bit-identical samples.
public struct EDMHeunSampler<Model: Denoiser> {
    /// The denoiser D(x, t) (closed form or a trained network).
    public let denoiser: Model
    /// D, the dimension of a sample.
    public let dimension: Int
    /// The time grid t_min = t_{N−1} < … < t₀ = t_max.
    public let grid: TimeGrid
    /// Whether a final Euler step from t_min to 0 follows the grid (EDM's choice, the default).
    public let endsAtZero: Bool

    /// A sampler on a given grid.
    public init(denoiser: Model, dimension: Int, grid: TimeGrid, endsAtZero: Bool = true) throws(SamplingError) {
        guard dimension > 0 else { throw .invalidDimension(dimension) }
        self.denoiser = denoiser
        self.dimension = dimension
        self.grid = grid
        self.endsAtZero = endsAtZero
    }

    /// A sampler on the Karras grid with `stepCount` points (EDM: 18, ρ = 7, t ∈ [0.002, 80]).
    public init(denoiser: Model, dimension: Int, stepCount: Int = 18, minimumTime: Double = 0.002,
                maximumTime: Double = 80, exponent rho: Double = 7, endsAtZero: Bool = true) throws {
        let grid = try TimeGrid.karras(count: stepCount, minimum: minimumTime, maximum: maximumTime, exponent: rho)
        try self.init(denoiser: denoiser, dimension: dimension, grid: grid, endsAtZero: endsAtZero)
    }

    /// The times the sampler visits, descending: t_max … t_min, then 0 when ``endsAtZero``.
    public var times: [Double] { endsAtZero ? grid.descending + [0] : grid.descending }

    /// Denoiser calls per sample: two per Heun step, one for the final Euler step to 0.
    public var denoiserCallsPerSample: Int { 2 * grid.intervalCount + (endsAtZero ? 1 : 0) }

    /// `count` samples (count × D, row-major).
    public func sample(count: Int, stream: inout RandomStream) throws -> [Double] {
        guard count > 0 else { throw SamplingError.invalidSampleCount(count) }
        let valueCount = count * dimension
        var state = [Double](repeating: 0, count: valueCount)
        state.withUnsafeMutableBufferPointer { stream.fillNormal($0.baseAddress!, count: valueCount) }
        let maximumTime = grid.maximum
        for i in 0 ..< valueCount { state[i] *= maximumTime }
        let ode = try ProbabilityFlowODE(denoiser: denoiser, dimension: dimension)
        let solver = HeunSolver()
        let path = times
        for j in path.indices.dropFirst() {
            state = try solver.solve(state, from: path[j - 1], to: path[j], along: ode)
        }
        return state
    }
}

extension EDMHeunSampler where Model: DataDistribution {
    /// A sampler on the Karras grid for a distribution that is its own denoiser (closed form), with
    /// the dimension taken from the distribution.
    public init(distribution: Model, stepCount: Int = 18, minimumTime: Double = 0.002,
                maximumTime: Double = 80, exponent rho: Double = 7, endsAtZero: Bool = true) throws {
        try self.init(denoiser: distribution, dimension: distribution.dimension, stepCount: stepCount,
                      minimumTime: minimumTime, maximumTime: maximumTime, exponent: rho, endsAtZero: endsAtZero)
    }
}
