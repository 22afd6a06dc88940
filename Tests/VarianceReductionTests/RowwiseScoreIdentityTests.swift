import Foundation
import Testing
import VarianceReduction

/// The batched row-wise transition (a reference set of its own per row) against the per-row
/// transition with `ownPlusPool` references, which is its definition.
@Suite("Score identity with a reference set per row")
struct RowwiseScoreIdentityTests {
    /// Row i moved alone with references {own_i} ∪ pool_i (rows with r = t are left where they are).
    func perRow(_ queries: [Double], times: [Double], targets: [Double], own: [Double], pools: [Double], poolSize: Int,
                dimension d: Int) throws -> [Double] {
        var result = queries
        for row in times.indices where targets[row] != times[row] {
            let references = try ScoreIdentityReferences<Double>.ownPlusPool(
                own: Array(own[(row * d)..<((row + 1) * d)]), pool: Array(pools[(row * poolSize * d)..<((row + 1) * poolSize * d)]),
                dimension: d)
            let moved = try ScoreIdentityDenoiser().transition(Array(queries[(row * d)..<((row + 1) * d)]), times: [times[row]],
                                                               targetTimes: [targets[row]], references: references)
            for k in 0..<d { result[row * d + k] = moved[k] }
        }
        return result
    }

    func rowwise(_ queries: [Double], times: [Double], targets: [Double], own: [Double], pools: [Double], poolSize: Int,
                 dimension d: Int) throws -> [Double] {
        var output = [Double](repeating: .nan, count: queries.count)
        let placeholder = [0.0]
        try queries.withUnsafeBufferPointer { (x) throws(ScoreIdentityError) in
            try times.withUnsafeBufferPointer { (t) throws(ScoreIdentityError) in
                try targets.withUnsafeBufferPointer { (r) throws(ScoreIdentityError) in
                    try own.withUnsafeBufferPointer { (o) throws(ScoreIdentityError) in
                        try pools.withUnsafeBufferPointer { (p) throws(ScoreIdentityError) in
                            try placeholder.withUnsafeBufferPointer { (zero) throws(ScoreIdentityError) in
                                try output.withUnsafeMutableBufferPointer { (out) throws(ScoreIdentityError) in
                                    try ScoreIdentityDenoiser().rowwiseTransition(
                                        x.baseAddress!, count: times.count, times: t.baseAddress!, targetTimes: r.baseAddress!,
                                        own: o.baseAddress!, pools: p.baseAddress ?? zero.baseAddress!, poolSize: poolSize,
                                        dimension: d, into: out.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    @Test("every row equals the per-row own-plus-pool transition bit for bit (pool sizes 0, 1, 7; r = 0, r = t, t = 0)",
          arguments: [0, 1, 7])
    func equalsPerRowTransition(poolSize: Int) throws {
        let count = 12, d = 3
        let own = normals(count * d, seed: 2, purpose: "own"), pools = normals(count * poolSize * d, seed: 2, purpose: "pool")
        var times = uniforms(count, in: 0.01..<20, seed: 2, purpose: "t")
        times[5] = 0  // a terminal row that stays put: never moved, never validated
        let targets = times.enumerated().map { row, t in row % 4 == 0 ? 0 : (row % 4 == 1 ? t : t * 0.7) }
        let noise = normals(count * d, seed: 2, purpose: "z")
        let queries = (0..<(count * d)).map { own[$0] + times[$0 / d] * noise[$0] }
        let expected = try perRow(queries, times: times, targets: targets, own: own, pools: pools, poolSize: poolSize, dimension: d)
        let got = try rowwise(queries, times: times, targets: targets, own: own, pools: pools, poolSize: poolSize, dimension: d)
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
        for row in 0..<count where targets[row] == times[row] {
            #expect(Array(got[(row * d)..<((row + 1) * d)]) == Array(queries[(row * d)..<((row + 1) * d)]))
        }
    }

    @Test("a row that stays put (r = t) still needs a finite t ≥ 0: t = r = −1 or +∞ is rejected with the row named")
    func stayingRowsAreValidated() throws {
        let own = [0.0, 0, 1, 1], queries = [0.5, 0.5, 1.5, 1.5]
        for bad in [-1.0, .infinity] {
            #expect(throws: ScoreIdentityError.invalidTime(row: 1, value: bad)) {
                _ = try rowwise(queries, times: [1, bad], targets: [0.5, bad], own: own, pools: [], poolSize: 0, dimension: 2)
            }
        }
        // t = r = 0, an episode that already ended, is still copied unchanged.
        let kept = try rowwise(queries, times: [1, 0], targets: [0.5, 0], own: own, pools: [], poolSize: 0, dimension: 2)
        #expect(Array(kept[2..<4]) == [1.5, 1.5])
    }

    @Test("a moving row whose squared distances all overflow is an error naming the row")
    func overflowingDistancesAreRejected() throws {
        #expect(throws: ScoreIdentityError.noFiniteDistance(row: 1)) {
            _ = try rowwise([0.5, 0.5, 1e200, 0], times: [1, 1], targets: [0.5, 0.5], own: [0, 0, 1, 1], pools: [], poolSize: 0,
                            dimension: 2)
        }
    }

    @Test("a non-finite pool point and a target time above t are rejected with the row named")
    func invalidInputsAreRejected() throws {
        let d = 2
        let own = [0.0, 0, 1, 1], queries = [0.5, 0.5, 1.5, 1.5]
        var pools = [0.1, 0.2, 0.3, 0.4]
        pools[3] = .infinity
        #expect(throws: ScoreIdentityError.nonFinitePoolPoint(queryRow: 1, point: 0)) {
            _ = try rowwise(queries, times: [1, 1], targets: [0.5, 0.5], own: own, pools: pools, poolSize: 1, dimension: d)
        }
        // With 3 points per pool, flat pool row 4 is point 1 of query 1's pool (the error used to say row 4).
        var widerPools = [Double](repeating: 0.25, count: 2 * 3 * d)
        widerPools[4 * d + 1] = .nan
        #expect(throws: ScoreIdentityError.nonFinitePoolPoint(queryRow: 1, point: 1)) {
            _ = try rowwise(queries, times: [1, 1], targets: [0.5, 0.5], own: own, pools: widerPools, poolSize: 3, dimension: d)
        }
        #expect(ScoreIdentityError.nonFinitePoolPoint(queryRow: 1, point: 1).description.contains("point 1 of query 1's pool"))
        #expect(throws: ScoreIdentityError.invalidTargetTime(row: 1, value: 2, time: 1)) {
            _ = try rowwise(queries, times: [1, 1], targets: [0.5, 2], own: own, pools: [0.1, 0.2, 0.3, 0.4], poolSize: 1, dimension: d)
        }
    }
}
