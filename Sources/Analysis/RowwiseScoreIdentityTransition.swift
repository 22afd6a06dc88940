import Agents
import VarianceReduction

/// The score-identity estimator with a reference set of its own for every row (METHODS.md §10.2):
/// row i uses {own_i} ∪ pool_i, its posterior draw x₀′ plus n − 1 fresh data samples, so the S draws of
/// one query state are independent. All rows go through one
/// ``ScoreIdentityDenoiser/rowwiseTransition(_:count:times:targetTimes:own:pools:poolSize:dimension:into:)``
/// call, which gives each row bit for bit what a ``ScoreIdentityTransition`` with the own-plus-pool
/// layout gives it; an n-step path re-weights the same reference set at every point.
struct RowwiseScoreIdentityTransition: TransitionEstimating {
    /// rows × D.
    let own: [Double]
    /// rows × (n − 1) × D.
    let pools: [Double]
    let dimension: Int
    let poolSize: Int

    func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let d = dimension, rows = times.count
        guard points.count == rows * d, own.count == rows * d, pools.count == rows * poolSize * d, targetTimes.count == rows else {
            throw TargetDiagnosticsError.incompatible("row-wise score identity holds \(own.count / d) rows but got \(points.count) values for \(rows) times")
        }
        var result = points
        var failure: ScoreIdentityError?
        // An empty array may have no base address; the pool pointer is then never read (pool size 0).
        let placeholder = [0.0]
        points.withUnsafeBufferPointer { x in
            times.withUnsafeBufferPointer { t in
                targetTimes.withUnsafeBufferPointer { r in
                    own.withUnsafeBufferPointer { o in
                        pools.withUnsafeBufferPointer { p in
                            placeholder.withUnsafeBufferPointer { zero in
                                result.withUnsafeMutableBufferPointer { out in
                                    guard rows > 0 else { return }
                                    do throws(ScoreIdentityError) {
                                        try ScoreIdentityDenoiser().rowwiseTransition(
                                            x.baseAddress!, count: rows, times: t.baseAddress!, targetTimes: r.baseAddress!,
                                            own: o.baseAddress!, pools: p.baseAddress ?? zero.baseAddress!, poolSize: poolSize,
                                            dimension: d, into: out.baseAddress!)
                                    } catch { failure = error }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return result
    }
}
