import Tensors

/// A distribution of data points x₀ ∈ R^D — the "data" end of the denoising MDP (DESIGN.md §1).
///
/// Every distribution can be sampled from a named random stream. Those with a closed form also
/// conform to ``ClosedFormDistribution``: they give the ideal denoiser, the score, the log-density of
/// the noised marginal and posterior samples, which is what makes exact ground truth possible.
/// Points are `Double` (ground-truth work is in Double, DESIGN.md §3), stored row-major: point i
/// occupies `dimension` consecutive values.
public protocol DataDistribution: Sendable {
    /// D, the dimension of a data point.
    var dimension: Int { get }
    /// The number of classes when the data are labelled (nil otherwise).
    var classCount: Int? { get }
    /// Draws `count` points into `points` (count × dimension) and, when `labels` is given and the
    /// data are labelled, their class labels.
    func sample(count: Int, into points: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>?,
                stream: inout RandomStream)
}

extension DataDistribution {
    public var classCount: Int? { nil }

    /// `count` points as an array (count × dimension, row-major).
    public func sample(count: Int, stream: inout RandomStream) -> [Double] {
        var points = [Double](repeating: 0, count: count * dimension)
        points.withUnsafeMutableBufferPointer { sample(count: count, into: $0.baseAddress!, labels: nil, stream: &stream) }
        return points
    }
}

/// A data distribution whose noised marginals p_t = p₀ ∗ N(0, t² I) are known in closed form
/// (VE / EDM noising x_t = x₀ + t z, METHODS.md §0).
///
/// Relations every conformer satisfies (Tweedie's formula):
///
///     D(x, t) = E[x₀ | x_t = x],     ∇ log p_t(x) = (D(x, t) − x) / t²
///
/// and the PF-ODE in σ-time is dx/dt = (x − D(x, t)) / t.
public protocol ClosedFormDistribution: DataDistribution, Denoiser {
    /// log p_t(x) for each of `count` points (t = 0 gives the data density where it exists).
    func logDensity(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>)
    /// ∇ₓ log p_t(x) for each of `count` points (count × dimension).
    func score(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>)
    /// Draws x₀ ~ p(x₀ | x_t = x) for each of `count` points (count × dimension).
    func samplePosterior(_ points: UnsafePointer<Double>, count: Int, time t: Double,
                         into output: UnsafeMutablePointer<Double>, stream: inout RandomStream)
}

/// The ideal or learned denoiser D(x, t) ≈ E[x₀ | x_t = x]: the one thing the PF-ODE needs from the
/// data. Closed-form distributions implement it exactly; networks implement it in `Agents` (an
/// environment never imports a network, DESIGN.md §2).
public protocol Denoiser {
    /// D(x, t) for `count` points at one time t (count × dimension in, count × dimension out).
    func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws
}
