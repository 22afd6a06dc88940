import Environments

/// A class-conditional network with classifier-free guidance (Ho & Salimans 2022, "Classifier-Free
/// Diffusion Guidance", eq. 6, written in denoiser space with the scale of later work such as EDM2: this
/// w is 1 + the paper's w, so the paper's w = 0.3 is w = 1.3 here), usable wherever a consistency function or a
/// denoiser is: ``ConsistencySampler``, ``ConsistencyModelPolicy`` (episodes) and ``EDMHeunSampler``.
///
///     D_w(x, t | y) = D(x, t | ∅) + w · (D(x, t | y) − D(x, t | ∅))
///
/// with ∅ the network's null class K (trained by label dropout, ``ConsistencyTrainingConfiguration/labelDropout``).
/// w = 1 is plain conditional sampling (one evaluation, bit-identical to the network given the labels),
/// w = 0 is unconditional sampling (one evaluation with the null class), and any other w evaluates the
/// conditional and the unconditional output in ONE forward of 2B rows (labels [y; K]) and mixes them.
///
/// For a diffusion network the output is EDM's denoiser D and this is the usual CFG of the probability-flow
/// ODE. For a consistency model METHODS.md says nothing; this type applies the same formula to the
/// consistency function's output f(x, t | y) (also an estimate of x₀), the practice of latent consistency
/// models (Luo et al. 2023, LCM) and of sLCT's guided sampling — a choice, not an exact guided PF-ODE
/// solution: f_w is not itself consistent along a guided ODE.
///
/// Labels: one label for every row (`labels.count == 1`) or one per row of each request. nil asks a
/// class-conditional network for the null class, i.e. unconditional samples (documented choice, rather than
/// failing). Every label must be a class 0…K−1: the null class is asked for with nil, not with K.
public struct ClassGuidedNetwork: ConsistencyFunction, Denoiser {
    public let network: PreconditionedNetwork
    /// The requested classes (one for all rows, or one per row); nil: the null class.
    public let labels: [Int32]?
    /// w: 1 = conditional, 0 = unconditional, > 1 = stronger guidance.
    public let guidanceScale: Double

    /// Throws when `network` is unconditional but labels are given, when a label is outside 0…K−1 (the
    /// message names the label and the range), or when w is not finite.
    public init(network: PreconditionedNetwork, labels: [Int32]?, guidanceScale: Double = 1) throws {
        guard guidanceScale.isFinite else {
            throw AgentError.invalidSetting("guidance scale w = \(guidanceScale)", expected: "a finite number (1 = conditional, 0 = unconditional, > 1 = guided)")
        }
        let k = network.classCount
        if let labels {
            guard k > 0 else {
                throw AgentError.incompatible("the network (\(network.architecture.summary)) is unconditional and cannot sample given class labels; train a class-conditional network (classCount > 0) or sample without labels")
            }
            guard !labels.isEmpty else {
                throw AgentError.invalidSetting("an empty label list", expected: "one label for every row or one per row, or none for the null class")
            }
            if let bad = labels.first(where: { $0 < 0 || Int($0) >= k }) {
                throw AgentError.invalidSetting("class label \(bad)", expected: "a class 0…\(k - 1) of this \(k)-class network (omit the label for unconditional samples)")
            }
        } else if guidanceScale != 1, k == 0 {
            throw AgentError.incompatible("guidance scale w = \(guidanceScale) needs a class-conditional network; \(network.architecture.summary) is unconditional (use w = 1)")
        }
        self.network = network
        self.labels = labels
        self.guidanceScale = guidanceScale
    }

    public var dimension: Int { network.dimension }
    public var minimumTime: Double { network.minimumTime }

    /// The labels of `rows` rows: the single label repeated, or the per-row list (its length checked).
    func rowLabels(_ rows: Int) throws -> [Int32]? {
        guard let labels else { return nil }
        if labels.count == 1 { return [Int32](repeating: labels[0], count: rows) }
        guard labels.count == rows else {
            throw AgentError.shapeMismatch("\(labels.count) class labels for a request of \(rows) rows; give one label for all rows or one per row")
        }
        return labels
    }

    /// D_w(x_i, t_i | y_i) for rows × D points at per-row times.
    public func evaluate(_ points: [Double], times: [Double]) throws -> [Double] {
        let rows = times.count
        guard let y = try rowLabels(rows) else { return try network.evaluate(points, times: times) }
        let w = guidanceScale
        if w == 1 { return try network.evaluate(points, times: times, labels: y) }
        if w == 0 { return try network.evaluate(points, times: times) }
        let null = [Int32](repeating: Int32(network.classCount), count: rows)
        let both = try network.evaluate(points + points, times: times + times, labels: y + null)
        let n = points.count
        return (0..<n).map { i in both[n + i] + w * (both[i] - both[n + i]) }
    }

    /// f_w(x, t) at one time (the ``ConsistencyFunction`` view).
    public func consistency(_ points: [Double], time t: Double) throws -> [Double] {
        try evaluate(points, times: [Double](repeating: t, count: points.count / max(dimension, 1)))
    }

    /// D_w(x, t) at one time (the `Denoiser` view for ``EDMHeunSampler``).
    public func denoise(_ points: UnsafePointer<Double>, count: Int, time t: Double, into output: UnsafeMutablePointer<Double>) throws {
        let values = try consistency(Array(UnsafeBufferPointer(start: points, count: count * dimension)), time: t)
        output.update(from: values, count: values.count)
    }
}
