import Agents
import VarianceReduction

/// The score-identity estimator with a reference set of its own for every row (METHODS.md §10.2):
/// row i uses {own_i} ∪ pool_i, its posterior draw x₀′ plus n − 1 fresh data samples, so the S draws of
/// one query state are independent. Each row is one ``ScoreIdentityTransition`` with the own-plus-pool
/// layout; an n-step path re-weights the same reference set at every point.
struct RowwiseScoreIdentityTransition: TransitionEstimating {
    /// rows × D.
    let own: [Double]
    /// rows × (n − 1) × D.
    let pools: [Double]
    let dimension: Int
    let poolSize: Int

    func advance(_ points: [Double], times: [Double], targetTimes: [Double]) throws -> [Double] {
        let d = dimension, rows = times.count
        guard points.count == rows * d, own.count == rows * d, pools.count == rows * poolSize * d else {
            throw TargetDiagnosticsError.incompatible("row-wise score identity holds \(own.count / d) rows but got \(points.count) values for \(rows) times")
        }
        var result = points
        for row in 0..<rows where targetTimes[row] != times[row] {
            let references = try ScoreIdentityReferences<Double>.ownPlusPool(
                own: Array(own[(row * d)..<((row + 1) * d)]),
                pool: Array(pools[(row * poolSize * d)..<((row + 1) * poolSize * d)]), dimension: d)
            let moved = try ScoreIdentityTransition(references: references)
                .advance(Array(points[(row * d)..<((row + 1) * d)]), times: [times[row]], targetTimes: [targetTimes[row]])
            for j in 0..<d { result[row * d + j] = moved[j] }
        }
        return result
    }
}
