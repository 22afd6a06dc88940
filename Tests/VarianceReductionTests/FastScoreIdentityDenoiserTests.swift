import Testing
@testable import VarianceReduction

@Suite("Score-identity denoiser (Float32 batched)")
struct FastScoreIdentityDenoiserTests {
    /// max |fast − double| / max |double| over the batch.
    func relativeDifference(_ fast: [Float], _ exact: [Double]) -> Double {
        let scale = exact.map { abs($0) }.max() ?? 1
        return zip(fast, exact).map { abs(Double($0) - $1) }.max()! / max(scale, 1e-300)
    }

    /// Checks the Float estimate and ESS against the Double path (relative 1e-4) and returns the
    /// estimate. `productInPassDimensionLimit` as in ``FastScoreIdentityDenoiser`` (nil: the default).
    @discardableResult
    func compare(count: Int, poolCount: Int, dimension: Int, ownPlusPool: Bool, labelled: Bool, threads: Int,
                 timeRange: Range<Double> = 0.3..<3, productInPassDimensionLimit: Int? = nil) throws -> [Float] {
        let seed = UInt64(count * 1000 + poolCount + dimension)
        let pool = normals(poolCount * dimension, seed: seed, purpose: "pool").map { Double(Float($0)) }
        let own = normals(count * dimension, seed: seed, purpose: "own").map { Double(Float($0)) }
        let queries = normals(count * dimension, seed: seed, purpose: "q").map { Double(Float($0 * 1.5)) }
        let times = uniforms(count, in: timeRange, seed: seed, purpose: "t").map { Double(Float($0)) }
        let poolLabels = labelled ? (0..<poolCount).map { Int32($0 % 3) } : nil
        let ownLabels = labelled ? (0..<count).map { Int32($0 % 3) } : nil
        let queryLabels = labelled ? (0..<count).map { Int32(($0 + ($0 / 3)) % 3) } : nil
        let exactReferences = ownPlusPool
            ? try ScoreIdentityReferences.ownPlusPool(own: own, ownLabels: ownLabels, pool: pool, poolLabels: poolLabels, dimension: dimension)
            : try ScoreIdentityReferences.shared(points: pool, labels: poolLabels, dimension: dimension)
        let floatReferences = ownPlusPool
            ? try ScoreIdentityReferences.ownPlusPool(own: own.map { Float($0) }, ownLabels: ownLabels, pool: pool.map { Float($0) },
                                                      poolLabels: poolLabels, dimension: dimension)
            : try ScoreIdentityReferences.shared(points: pool.map { Float($0) }, labels: poolLabels, dimension: dimension)
        let (exact, exactESS) = try ScoreIdentityDenoiser().estimateWithEffectiveSampleSizes(
            queries, times: times, queryLabels: queryLabels, references: exactReferences)
        let fast = productInPassDimensionLimit.map { FastScoreIdentityDenoiser(threadCount: threads, productInPassDimensionLimit: $0) }
            ?? FastScoreIdentityDenoiser(threadCount: threads)
        var output = [Float](repeating: 0, count: queries.count)
        var ess = [Double](repeating: 0, count: count)
        let floatQueries = queries.map { Float($0) }, floatTimes = times.map { Float($0) }
        for _ in 0..<2 {  // the second call reuses the workspace
            try floatQueries.withUnsafeBufferPointer { q in
                try floatTimes.withUnsafeBufferPointer { t in
                    try output.withUnsafeMutableBufferPointer { out in
                        try ess.withUnsafeMutableBufferPointer { e in
                            if let queryLabels {
                                try queryLabels.withUnsafeBufferPointer { l in
                                    try fast.estimate(q.baseAddress!, count: count, times: t.baseAddress!, queryLabels: l.baseAddress!,
                                                      references: floatReferences, into: out.baseAddress!, effectiveSampleSizes: e.baseAddress!)
                                }
                            } else {
                                try fast.estimate(q.baseAddress!, count: count, times: t.baseAddress!, references: floatReferences,
                                                  into: out.baseAddress!, effectiveSampleSizes: e.baseAddress!)
                            }
                        }
                    }
                }
            }
            #expect(relativeDifference(output, exact) < 1e-4, "B \(count), n \(poolCount), D \(dimension)")
            for row in 0..<count { #expect(abs(ess[row] - exactESS[row]) <= 1e-4 * exactESS[row]) }
        }
        return output
    }

    @Test("the Float path agrees with the Double path (relative 1e-4): shared references, odd shapes, 1 and 2 threads",
          arguments: [(37, 300, 20, 1), (37, 500, 20, 2), (256, 1024, 64, 2), (3, 17, 1, 1), (5, 16, 33, 2)])
    func agreesShared(shape: (Int, Int, Int, Int)) throws {
        try compare(count: shape.0, poolCount: shape.1, dimension: shape.2, ownPlusPool: false, labelled: false, threads: shape.3)
    }

    @Test("the Float path agrees with the Double path for own-plus-pool and class-conditional references")
    func agreesOwnPlusPoolAndLabels() throws {
        try compare(count: 21, poolCount: 130, dimension: 7, ownPlusPool: true, labelled: false, threads: 1)
        try compare(count: 21, poolCount: 0, dimension: 7, ownPlusPool: true, labelled: false, threads: 1)
        try compare(count: 22, poolCount: 140, dimension: 9, ownPlusPool: true, labelled: true, threads: 2)
        try compare(count: 40, poolCount: 700, dimension: 12, ownPlusPool: false, labelled: true, threads: 2)
    }

    @Test("rows with few nonzero weights (summed directly) and dense rows (the matrix product) agree with the Double path")
    func sparseAndDenseRowsAgree() throws {
        try compare(count: 64, poolCount: 600, dimension: 16, ownPlusPool: false, labelled: false, threads: 2, timeRange: 0.05..<12)
        try compare(count: 64, poolCount: 600, dimension: 16, ownPlusPool: true, labelled: true, threads: 1, timeRange: 0.05..<12)
    }

    /// At D ≤ 2 dense rows are finished in the weight pass (per coordinate, Float over blocks of 16
    /// panels, Double across blocks); 1000 references are 63 panels: three full blocks and a block of 15,
    /// which ends in panels the four-way unrolled loop leaves to its remainder. At t ∈ [0.5, 12) most rows
    /// are dense. Both ways agree with the Double path and with each other.
    @Test("dense rows of D ≤ 2 finished in the weight pass agree with the Double path and with the matrix product",
          arguments: [(1, false, false, 1), (2, false, false, 2), (2, true, false, 1), (2, true, true, 2), (2, false, true, 1)])
    func productInPassAgrees(setting: (Int, Bool, Bool, Int)) throws {
        let (dimension, ownPlusPool, labelled, threads) = setting
        #expect(dimension <= FastScoreIdentityDenoiser.productInPassDefaultDimensionLimit)
        let inPass = try compare(count: 96, poolCount: 1000, dimension: dimension, ownPlusPool: ownPlusPool, labelled: labelled,
                                 threads: threads, timeRange: 0.5..<12, productInPassDimensionLimit: dimension)
        let byProduct = try compare(count: 96, poolCount: 1000, dimension: dimension, ownPlusPool: ownPlusPool, labelled: labelled,
                                    threads: threads, timeRange: 0.5..<12, productInPassDimensionLimit: 0)
        let scale = byProduct.map { abs($0) }.max()!
        #expect(zip(inPass, byProduct).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }

    @Test("the Float transition with one reference equals the conditional estimator and r = 0 gives D̂")
    func floatTransition() throws {
        let x0: [Float] = [1, -2, 0.5, 3], z: [Float] = [0.3, 0.1, -1, 2], t: [Float] = [2, 0.5], r: [Float] = [0.7, 0]
        let noisy = (0..<4).map { x0[$0] + t[$0 / 2] * z[$0] }
        let references = try ScoreIdentityReferences.ownPlusPool(own: x0, pool: [], dimension: 2)
        let result = try FastScoreIdentityDenoiser().transition(noisy, times: t, targetTimes: r, references: references)
        for i in 0..<2 { #expect(abs(result[i] - (x0[i] + 0.7 * z[i])) < 1e-5) }
        #expect(Array(result[2..<4]) == Array(x0[2..<4]))
    }

    @Test("tiny t in Float gives the nearest reference, finite; labels with no reference are an error")
    func floatStabilityAndErrors() throws {
        let points: [Float] = [0, 0, 1000, 1000, -3, 5]
        let references = try ScoreIdentityReferences.shared(points: points, labels: [0, 1, 1], dimension: 2)
        let fast = FastScoreIdentityDenoiser()
        let result = try fast.estimate([999, 999.5, -2.9, 5.1, 5000, 5000], times: [1e-4, 1e-4, 1e-4], references: references)
        #expect(result == [1000, 1000, -3, 5, 1000, 1000])
        #expect(throws: ScoreIdentityError.noReferenceWithLabel(row: 0, label: 2)) {
            try fast.estimate([0, 0], times: [1], queryLabels: [2], references: references)
        }
        #expect(throws: ScoreIdentityError.invalidTime(row: 0, value: -1)) { try fast.estimate([0, 0], times: [-1], references: references) }
    }

    @Test("a Float query whose squared distances all overflow is an error saying so, not a missing label")
    func floatOverflowingDistancesAreNamed() throws {
        let points: [Float] = [0, 0, 1, 1]
        let references = try ScoreIdentityReferences.shared(points: points, labels: [0, 1], dimension: 2)
        let fast = FastScoreIdentityDenoiser()
        #expect(throws: ScoreIdentityError.noFiniteDistance(row: 1)) { try fast.estimate([0, 0, 1e30, 0], times: [1, 1], references: references) }
        #expect(throws: ScoreIdentityError.noFiniteDistance(row: 0)) {
            try fast.estimate([1e30, 0], times: [1], queryLabels: [1], references: references)
        }
        #expect(throws: ScoreIdentityError.noReferenceWithLabel(row: 0, label: 2)) {
            try fast.estimate([1e30, 0], times: [1], queryLabels: [2], references: references)
        }
    }
}
