import Foundation

/// The score-identity (stable-target) denoiser estimate of SCT (Wang, Geng, Li 2024), after the Stable
/// Target Field of Xu, Tong, Jaakkola (2023); METHODS.md §3.4. For query x_t,i at its own noise level
/// t_i and its reference set R_i:
///
///     w_ij = softmax_j(−‖x_t,i − x₀^(j)‖² / 2t_i²),     D̂_i = Σ_j w_ij x₀^(j)
///
/// D̂ is the exact posterior mean E[x₀ | x_t] of the empirical distribution of R_i; when R_i contains
/// the query's own x₀ plus independent draws it is a low-variance, consistent estimate of the ideal
/// denoiser D(x_t, t). Computed in Double: squared distances d_j by direct differences (never as
/// ‖a‖² + ‖b‖² − 2a·b), the row maximum of the log-weights subtracted before exponentiating, so tiny
/// t and far-away points give the nearest reference rather than NaN — down to any t > 0: when t is so
/// small that −d_min/2t² overflows (t below about 1e−154), the log-weights are formed as
/// (d_j − d_min)·(−1/2t²) with 0·∞ read as 0, and the nearest references share the weight.
/// Class-conditional estimates (query labels given) let only references with the query's label take
/// part.
///
/// Cost O(n·D) per query for a reference set of n points. ``FastScoreIdentityDenoiser`` is the
/// Float32 batched version for large batches.
public struct ScoreIdentityDenoiser: Sendable {
    public init() {}

    /// D̂ for `count` queries (count × D, row-major) at per-row times `times` (finite, > 0).
    ///
    /// - Parameters:
    ///   - queryLabels: when given, query i uses only the references labelled `queryLabels[i]`;
    ///     a label no reference carries is an error naming it.
    ///   - effectiveSampleSizes: when given, receives ESS_i = 1 / Σ_j w_ij² (Kish) per query, in [1, n].
    /// If an error is thrown part of `output` may have been written.
    public func estimate(_ queries: UnsafePointer<Double>, count: Int, times: UnsafePointer<Double>,
                         queryLabels: UnsafePointer<Int32>? = nil, references: ScoreIdentityReferences<Double>,
                         into output: UnsafeMutablePointer<Double>,
                         effectiveSampleSizes: UnsafeMutablePointer<Double>? = nil) throws(ScoreIdentityError) {
        let dimension = references.dimension
        try references.checkQueries(count: count, labelled: queryLabels != nil)
        try ScoreIdentityValidation.checkTimes(times, count: count)
        try ScoreIdentityValidation.checkFinite(queries, count: count, dimension: dimension, what: "the queries")
        var failure: ScoreIdentityError?
        let size = references.referenceSize
        withUnsafeTemporaryAllocation(of: Double.self, capacity: max(size, 1)) { buffer in
            let logits = buffer.baseAddress!
            references.points.withUnsafeBufferPointer { pool in
                references.ownPoints.withUnsafeBufferPointer { own in
                    for row in 0..<count {
                        let block = ReferenceBlock(references: references, row: row, own: own.baseAddress, pool: pool.baseAddress)
                        let label = queryLabels?[row]
                        switch Self.estimateRow(queries + row * dimension, time: times[row], label: label, block: block,
                                                dimension: dimension, logits: logits, output: output + row * dimension) {
                        case let .estimated(ess):
                            effectiveSampleSizes?[row] = ess
                        case let .noReferenceWithLabel(label):
                            failure = .noReferenceWithLabel(row: row, label: label)
                            return
                        case .noFiniteDistance:
                            failure = .noFiniteDistance(row: row)
                            return
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
    }

    /// The Euler transition with D̂: x̂_r = x_t + (r − t)(x_t − D̂)/t per row (0 ≤ r ≤ t); when r = 0 the
    /// result is D̂ itself. With a reference set of one (the query's own x₀, x_t = x₀ + t z) it is the
    /// conditional estimator x₀ + r z (METHODS.md §3.3), up to rounding.
    public func transition(_ queries: UnsafePointer<Double>, count: Int, times: UnsafePointer<Double>,
                           targetTimes: UnsafePointer<Double>, queryLabels: UnsafePointer<Int32>? = nil,
                           references: ScoreIdentityReferences<Double>, into output: UnsafeMutablePointer<Double>,
                           effectiveSampleSizes: UnsafeMutablePointer<Double>? = nil) throws(ScoreIdentityError) {
        try ScoreIdentityValidation.checkTimes(times, count: count)
        try ScoreIdentityValidation.checkTargetTimes(targetTimes, times: times, count: count)
        try estimate(queries, count: count, times: times, queryLabels: queryLabels, references: references,
                     into: output, effectiveSampleSizes: effectiveSampleSizes)
        eulerTransitionInPlace(queries, times: times, targetTimes: targetTimes, count: count,
                               dimension: references.dimension, denoised: output)
    }

    /// D̂ for the rows of `queries` (count × D) at per-row `times`; returns the estimates (count × D).
    public func estimate(_ queries: [Double], times: [Double], queryLabels: [Int32]? = nil,
                         references: ScoreIdentityReferences<Double>) throws(ScoreIdentityError) -> [Double] {
        try estimateWithEffectiveSampleSizes(queries, times: times, queryLabels: queryLabels, references: references).estimates
    }

    /// D̂ and the per-query effective sample sizes 1 / Σ_j w_ij².
    public func estimateWithEffectiveSampleSizes(_ queries: [Double], times: [Double], queryLabels: [Int32]? = nil,
                                                 references: ScoreIdentityReferences<Double>) throws(ScoreIdentityError)
        -> (estimates: [Double], effectiveSampleSizes: [Double]) {
        let count = try Self.checkArrays(queries, times: times, targetTimes: nil, queryLabels: queryLabels, references: references)
        var output = [Double](repeating: 0, count: queries.count)
        var ess = [Double](repeating: 0, count: count)
        var failure: ScoreIdentityError?
        queries.withUnsafeBufferPointer { q in
            times.withUnsafeBufferPointer { t in
                withOptionalPointer(queryLabels) { labels in
                    output.withUnsafeMutableBufferPointer { out in
                        ess.withUnsafeMutableBufferPointer { e in
                            do throws(ScoreIdentityError) {
                                try estimate(q.baseAddress!, count: count, times: t.baseAddress!, queryLabels: labels,
                                             references: references, into: out.baseAddress!, effectiveSampleSizes: e.baseAddress!)
                            } catch { failure = error }
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return (output, ess)
    }

    /// x̂_r for the rows of `queries` at per-row times t (`times`) and r (`targetTimes`).
    public func transition(_ queries: [Double], times: [Double], targetTimes: [Double], queryLabels: [Int32]? = nil,
                           references: ScoreIdentityReferences<Double>) throws(ScoreIdentityError) -> [Double] {
        let count = try Self.checkArrays(queries, times: times, targetTimes: targetTimes, queryLabels: queryLabels,
                                         references: references)
        try targetTimes.withUnsafeBufferPointer { (r) throws(ScoreIdentityError) in
            try times.withUnsafeBufferPointer { (t) throws(ScoreIdentityError) in
                try ScoreIdentityValidation.checkTimes(t.baseAddress!, count: count)
                try ScoreIdentityValidation.checkTargetTimes(r.baseAddress!, times: t.baseAddress!, count: count)
            }
        }
        var output = try estimate(queries, times: times, queryLabels: queryLabels, references: references)
        queries.withUnsafeBufferPointer { q in
            times.withUnsafeBufferPointer { t in
                targetTimes.withUnsafeBufferPointer { r in
                    output.withUnsafeMutableBufferPointer { out in
                        eulerTransitionInPlace(q.baseAddress!, times: t.baseAddress!, targetTimes: r.baseAddress!, count: count,
                                               dimension: references.dimension, denoised: out.baseAddress!)
                    }
                }
            }
        }
        return output
    }

    static func checkArrays<T>(_ queries: [T], times: [T], targetTimes: [T]?, queryLabels: [Int32]?,
                               references: ScoreIdentityReferences<T>) throws(ScoreIdentityError) -> Int {
        let count = try ScoreIdentityValidation.rows(queries.count, dimension: references.dimension, what: "the queries")
        try ScoreIdentityValidation.checkLength(times.count, rows: count, what: "times")
        if let targetTimes { try ScoreIdentityValidation.checkLength(targetTimes.count, rows: count, what: "targetTimes") }
        if let queryLabels { try ScoreIdentityValidation.checkLength(queryLabels.count, rows: count, what: "queryLabels") }
        return count
    }

    /// One query: squared distances d_j into `logits`, then the weights e_j = exp(−(d_j − d_min)/2t²)
    /// (e = 1 at the nearest reference), the weighted mean Σ_j e_j x₀^(j) / Σ_j e_j into `output`.
    ///
    /// While −d_min/2t² is finite the exponent is computed as (−1/2t²)·d_j − (−1/2t²)·d_min (the
    /// log-weight minus the row maximum); below t ≈ 1e−154, where −1/2t² or that maximum overflows, as
    /// (d_j − d_min)·(−1/2t²) with 0·∞ read as 0, so the nearest references share the weight instead
    /// of every logit becoming −∞ or NaN.
    @inline(__always)
    static func estimateRow(_ x: UnsafePointer<Double>, time t: Double, label: Int32?, block: ReferenceBlock,
                            dimension: Int, logits: UnsafeMutablePointer<Double>,
                            output: UnsafeMutablePointer<Double>) -> RowEstimate {
        // Squared distances (+∞ for references with another label) and their minimum.
        var minimum = Double.infinity
        var admissible = false
        for j in 0..<block.size {
            if let label, block.label(j) != label { logits[j] = .infinity; continue }
            admissible = true
            let reference = block.point(j)
            var squared = 0.0
            for k in 0..<dimension {
                let difference = x[k] - reference[k]
                squared += difference * difference
            }
            logits[j] = squared
            minimum = min(minimum, squared)
        }
        if let label, !admissible { return .noReferenceWithLabel(label) }
        guard minimum < .infinity else { return .noFiniteDistance }
        let factor = -0.5 / (t * t)
        // The largest log-weight; not finite when t is so small that factor or factor·d_min overflows.
        let maximum = factor * minimum
        let shifted = !maximum.isFinite
        var total = 0.0, totalOfSquares = 0.0
        for j in 0..<block.size {
            let squared = logits[j]
            let e: Double
            if squared == .infinity {
                e = 0
            } else if shifted {
                let gap = squared - minimum
                e = gap == 0 ? 1 : Foundation.exp(gap * factor)
            } else {
                e = Foundation.exp(factor * squared - maximum)
            }
            logits[j] = e
            total += e
            totalOfSquares += e * e
        }
        for k in 0..<dimension { output[k] = 0 }
        let inverseTotal = 1 / total
        for j in 0..<block.size where logits[j] > 0 {
            let w = logits[j] * inverseTotal, reference = block.point(j)
            for k in 0..<dimension { output[k] += w * reference[k] }
        }
        return .estimated(effectiveSampleSize: total * total / totalOfSquares)
    }
}

/// What ``ScoreIdentityDenoiser/estimateRow(_:time:label:block:dimension:logits:output:)`` found for one query.
enum RowEstimate {
    /// D̂ was written; the Kish effective sample size 1 / Σ_j w_j² of its weights.
    case estimated(effectiveSampleSize: Double)
    /// No reference carries the query's label (class-conditional queries only).
    case noReferenceWithLabel(Int32)
    /// Every admissible reference is at squared distance +∞ (overflow), so no weight can be formed.
    case noFiniteDistance
}

/// Query row `row`'s reference set seen as one indexable list: for `ownPlusPool`, index 0 is the own
/// point and 1… the pool; for `shared`, the points themselves.
struct ReferenceBlock {
    let own: UnsafePointer<Double>?
    let ownLabel: Int32?
    let pool: UnsafePointer<Double>?
    let poolLabels: [Int32]?
    let poolCount: Int
    let dimension: Int
    var size: Int { poolCount + (own == nil ? 0 : 1) }

    init(references: ScoreIdentityReferences<Double>, row: Int, own: UnsafePointer<Double>?, pool: UnsafePointer<Double>?) {
        dimension = references.dimension
        poolCount = references.pointCount
        self.pool = pool
        poolLabels = references.labels
        if references.layout == .ownPlusPool {
            self.own = own! + row * dimension
            ownLabel = references.ownLabels?[row]
        } else {
            self.own = nil
            ownLabel = nil
        }
    }

    /// An unlabelled own-plus-pool block: `own` (one point) then `poolCount` points from `pool`.
    init(own: UnsafePointer<Double>, pool: UnsafePointer<Double>, poolCount: Int, dimension: Int) {
        self.own = own
        ownLabel = nil
        self.pool = pool
        poolLabels = nil
        self.poolCount = poolCount
        self.dimension = dimension
    }

    @inline(__always)
    func point(_ j: Int) -> UnsafePointer<Double> {
        if let own { return j == 0 ? own : pool! + (j - 1) * dimension }
        return pool! + j * dimension
    }

    @inline(__always)
    func label(_ j: Int) -> Int32? {
        if own != nil { return j == 0 ? ownLabel : poolLabels?[j - 1] }
        return poolLabels?[j]
    }
}

/// Runs `body` with a pointer to the array's elements, or nil for a nil array.
@inline(__always)
func withOptionalPointer<T, R>(_ array: [T]?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
