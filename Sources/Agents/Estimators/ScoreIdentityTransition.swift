import VarianceReduction

/// The score-identity estimator of SCT (after STF; METHODS.md §3.4–3.5): an Euler step with the
/// self-normalised denoiser estimate over a reference set that contains each sample's own x₀,
///
///     w_i = softmax_i(−‖x_t − x₀⁽ⁱ⁾‖² / (2t²)),   D̂ = Σ_i w_i x₀⁽ⁱ⁾,   x̂_r = x_t + (r − t)(x_t − D̂)/t
///
/// (D̂ itself when r = 0). With the whole finite training set as the shared reference it is the
/// empirical-exact estimator; with a reference of one it is the conditional estimator. Along an n-step
/// path the same reference set is re-weighted at every point.
///
/// Class-conditional data (METHODS.md §3.4): with `queryLabels` the sum runs over the references whose
/// label is the query row's, w_i ∝ 1[y⁽ⁱ⁾ = y] exp(−‖x_t − x₀⁽ⁱ⁾‖² / 2t²) — the conditional denoiser
/// D(x_t, t | y) of the reference set. Rows marked in `unconditionalRows` (rows whose label was dropped
/// to the null class for classifier-free guidance training) use every reference instead: the
/// unconditional target the network's null class must learn.
///
/// Precision: by default D̂ is computed in Double by ``ScoreIdentityDenoiser`` (the ground truth the
/// diagnostics use). Given a ``FastScoreIdentityDenoiser``, D̂ is computed in Float32 by its batched
/// kernel (points and times rounded to Float) and the Euler step in Double. Training uses that form:
/// the target is rounded to Float for the network's bootstrap pass anyway, and the Float D̂ differs from
/// the Double one by a few Float ulps of |x₀|, so x̂_r moves by at most (t − r)/t of that — while an
/// SCT step on the 2-D ring at batch 1024 takes 6.0 ms instead of 20.5 ms (the Double loop was 3/4 of it).
public struct ScoreIdentityTransition: TransitionEstimating {
    public let references: ScoreIdentityReferences<Double>
    /// Class-conditional restriction: only references with the query row's label take part (nil = off).
    public let queryLabels: [Int32]?
    /// Rows that ignore `queryLabels` and weight every reference (nil: none).
    public let unconditionalRows: [Bool]?
    public let dimension: Int
    /// The Float32 kernel that computes D̂ (nil: the Double ``ScoreIdentityDenoiser``).
    public let float32Denoiser: FastScoreIdentityDenoiser?
    private let float32References: ScoreIdentityReferences<Float>?

    /// - Parameters:
    ///   - float32Denoiser: when given, D̂ is computed in Float32 by this kernel (one instance per thread;
    ///     its workspace is reused between calls).
    ///   - float32References: `references` already rounded to Float (saves converting a large fixed set
    ///     at every call); nil converts them here.
    public init(references: ScoreIdentityReferences<Double>, queryLabels: [Int32]? = nil, unconditionalRows: [Bool]? = nil,
                float32Denoiser: FastScoreIdentityDenoiser? = nil,
                float32References: ScoreIdentityReferences<Float>? = nil) throws {
        self.references = references
        self.queryLabels = queryLabels
        self.unconditionalRows = unconditionalRows
        self.dimension = references.dimension
        self.float32Denoiser = float32Denoiser
        self.float32References = float32Denoiser == nil ? nil : try float32References ?? references.converted(to: Float.self)
    }

    public func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let rows = try TransitionValidation.rows(points, times: times, targetTimes: targetTimes, dimension: dimension)
        guard (0..<rows).contains(where: { targetTimes[$0] != times[$0] }) else { return points }
        // Rows that stay put (r = t, possibly a terminal t = 0) are asked for the harmless step 1 → 1 and
        // restored below, so every row keeps its own reference (the own-plus-pool layout is per row).
        var from = times, to = targetTimes
        for row in 0..<rows where to[row] == from[row] { from[row] = 1; to[row] = 1 }
        var result = try transition(points, times: from, targetTimes: to, labels: queryLabels)
        if queryLabels != nil, let unconditionalRows {
            guard unconditionalRows.count == rows else {
                throw AgentError.shapeMismatch("\(unconditionalRows.count) unconditional-row flags for \(rows) rows; expected one per row")
            }
            if unconditionalRows.contains(true) {
                let unconditional = try transition(points, times: from, targetTimes: to, labels: nil)
                for row in 0..<rows where unconditionalRows[row] {
                    for j in 0..<dimension { result[row * dimension + j] = unconditional[row * dimension + j] }
                }
            }
        }
        for row in 0..<rows where targetTimes[row] == times[row] {
            for j in 0..<dimension { result[row * dimension + j] = points[row * dimension + j] }
        }
        return result
    }

    /// x̂_r = x_t + (r − t)(x_t − D̂)/t (D̂ when r = 0) with D̂ from the Double or the Float32 kernel.
    private func transition(_ points: [Double], times: [Double], targetTimes: [Double], labels: [Int32]?) throws -> [Double] {
        guard let float32Denoiser, let float32References else {
            return try ScoreIdentityDenoiser().transition(points, times: times, targetTimes: targetTimes,
                                                          queryLabels: labels, references: references)
        }
        let denoised = try float32Denoiser.estimate(points.map { Float($0) }, times: times.map { Float($0) },
                                                    queryLabels: labels, references: float32References)
        return try eulerTransition(points: points, times: times, targetTimes: targetTimes,
                                   denoised: denoised.map { Double($0) }, dimension: dimension)
    }
}
