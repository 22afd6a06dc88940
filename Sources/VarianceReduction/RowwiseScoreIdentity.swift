extension ScoreIdentityDenoiser {
    /// The score-identity Euler transition when every query row has a reference set of its own
    /// (METHODS.md §3.4, §10.2; SCT of Wang, Geng, Li 2024 after the Stable Target Field of Xu, Tong,
    /// Jaakkola 2023): row i uses R_i = {own_i} ∪ pool_i, its own x₀ plus the `poolSize` points
    /// pool_i = rows i·p … i·p + p − 1 of `pools` (p = poolSize), and
    ///
    ///     w_ij = softmax_j(−‖x_t,i − x₀^(j)‖² / 2t_i²),   D̂_i = Σ_j w_ij x₀^(j),   x̂_r,i = x_t,i + (r_i − t_i)(x_t,i − D̂_i)/t_i
    ///
    /// (D̂_i itself when r_i = 0). Rows with r_i = t_i are copied unchanged; their t_i must be finite
    /// and ≥ 0 (0 for an episode that already ended), the other rows need a finite t_i > 0 and
    /// 0 ≤ r_i ≤ t_i. Each row gives bit for bit what ``transition(_:times:targetTimes:queryLabels:references:)`` gives for that
    /// row alone with ``ScoreIdentityReferences/ownPlusPool(own:ownLabels:pool:poolLabels:dimension:)``
    /// references {own_i} ∪ pool_i, without building a reference set per row. Cost O((p + 1)·D) per row.
    ///
    /// - Parameters:
    ///   - queries, own: count × D, row-major; pools: count × poolSize × D.
    /// - Throws: ``ScoreIdentityError`` naming the first non-finite point, invalid (t, r) or row whose
    ///   squared distances all overflow.
    public func rowwiseTransition(_ queries: UnsafePointer<Double>, count: Int, times: UnsafePointer<Double>,
                                  targetTimes: UnsafePointer<Double>, own: UnsafePointer<Double>, pools: UnsafePointer<Double>,
                                  poolSize: Int, dimension: Int, into output: UnsafeMutablePointer<Double>) throws(ScoreIdentityError) {
        guard dimension >= 1 else { throw .invalidDimension(dimension) }
        guard poolSize >= 0 else { throw .sizeMismatch(what: "the pool size", count: poolSize, expected: "≥ 0 points per row") }
        try ScoreIdentityValidation.checkFinite(own, count: count, dimension: dimension, what: "the own points")
        for row in 0..<count {
            for point in 0..<poolSize {
                let start = pools + (row * poolSize + point) * dimension
                for k in 0..<dimension where !start[k].isFinite { throw .nonFinitePoolPoint(queryRow: row, point: point) }
            }
        }
        try ScoreIdentityValidation.checkFinite(queries, count: count, dimension: dimension, what: "the queries")
        for row in 0..<count {
            let t = times[row], r = targetTimes[row]
            if r == t {
                // A row that stays put: t = r = 0 (an ended episode) is fine, a negative or infinite t is not.
                guard t.isFinite, t >= 0 else { throw .invalidTime(row: row, value: t) }
                continue
            }
            guard t.isFinite, t > 0 else { throw .invalidTime(row: row, value: t) }
            guard r.isFinite, r >= 0, r <= t else { throw .invalidTargetTime(row: row, value: r, time: t) }
        }
        var failure: ScoreIdentityError?
        withUnsafeTemporaryAllocation(of: Double.self, capacity: poolSize + 1) { buffer in
            let logits = buffer.baseAddress!
            for row in 0..<count {
                let x = queries + row * dimension, out = output + row * dimension
                guard targetTimes[row] != times[row] else {
                    for k in 0..<dimension { out[k] = x[k] }
                    continue
                }
                let block = ReferenceBlock(own: own + row * dimension, pool: pools + row * poolSize * dimension,
                                           poolCount: poolSize, dimension: dimension)
                guard case .estimated = Self.estimateRow(x, time: times[row], label: nil, block: block, dimension: dimension,
                                                         logits: logits, output: out) else {
                    failure = .noFiniteDistance(row: row)
                    return
                }
                eulerTransitionInPlace(x, times: times + row, targetTimes: targetTimes + row, count: 1, dimension: dimension,
                                       denoised: out)
            }
        }
        if let failure { throw failure }
    }
}
