import Dispatch
import Foundation
import Tensors

/// The score-identity denoiser estimate of SCT (METHODS.md §3.4) in Float32 for large batches — the
/// same semantics as ``ScoreIdentityDenoiser``:
///
///     w_ij = softmax_j(−‖x_t,i − x₀^(j)‖² / 2t_i²),     D̂_i = Σ_j w_ij x₀^(j)
///
/// How it is computed:
/// 1. Squared distances by direct differences, 16 references per SIMD vector and 4 queries at a time
///    (the references packed in panels of 16); the squares are summed in Float over blocks of 16
///    coordinates and the block sums accumulated in Double — never ‖a‖² + ‖b‖² − 2a·b.
/// 2. The row minimum distance (the maximum log-weight) is subtracted in Double, then the weights
///    e_ij = exp(−(d_ij − d_i,min) / 2t_i²) are evaluated in 16-lane vectors by the polynomial of ``fastExp(_:)``; weights of
///    references with another label (or below e^−87) are exactly 0, and 16 of them together skip the
///    polynomial. Row totals Σ_j e_ij in Double.
/// 3. Rows with at most 32 nonzero weights (at small t almost all: one reference
///    dominates) are summed directly in Double. For D ≤ 2 the other rows are finished in the same pass
///    while their weights are in cache: per coordinate, 16 references per vector in Float, each block of
///    256 references summed in Double. For larger D their weights are gathered into one block and
///    D̂ = E·X₀ is one `sgemm` (``gemm(_:transposeA:_:transposeB:into:alpha:beta:)``). Each row is then
///    divided by its total (the own point of an `ownPlusPool` set is added before the division).
///
/// Steps 1–2 are split over `threadCount` threads by blocks of query rows when the work is large
/// (≥ 2¹⁸ query–reference–coordinate triples); step 3 uses OpenBLAS's own threads
/// (`BLASRuntime.threadCount`). The workspace is kept between calls: after the first call with the
/// largest shapes, a call allocates no heap memory of its own. Not thread-safe: use one instance per
/// thread.
public final class FastScoreIdentityDenoiser {
    /// Threads for the distance and weight passes (1 = the calling thread only).
    public let threadCount: Int
    /// Dense rows are finished in the weight pass (no `sgemm`) up to this dimension.
    let productInPassDimensionLimit: Int

    private var weights = WorkspaceBuffer<Float>()
    private var rowWeights = WorkspaceBuffer<Float>()
    private var distances = WorkspaceBuffer<Double>()
    private var totals = WorkspaceBuffer<Double>()
    private var ownWeights = WorkspaceBuffer<Double>()
    private var failures = WorkspaceBuffer<Int>()
    private var denseRows = WorkspaceBuffer<Bool>()
    private var denseList = WorkspaceBuffer<Int>()
    private var denseOutput = WorkspaceBuffer<Float>()

    /// Queries processed together by the distance kernel.
    static let queryBlock = 4
    /// Coordinates whose squares are summed in Float before the sum is added in Double.
    static let coordinateBlock = 16
    /// Below this many query–reference–coordinate triples one thread does all the work.
    static let parallelThreshold = 1 << 18
    /// Rows with at most this many nonzero weights are summed directly instead of by the product.
    static let sparseRowLimit = 32
    /// The largest D whose dense rows are finished in the weight pass. Measured with
    /// `consistency-td-score-identity-bench --B 1024 --N 1024 --threads 1` (medians of 200 estimates),
    /// dense rows finished in the pass and by the `sgemm`: D = 1: 0.83 and 0.91 ms; D = 2: 0.90 and 1.07;
    /// D = 4: about even (1.05 and 1.01 at the 10th percentile); D = 8: 1.32 and 1.20; D = 16: 1.90 and 1.40.
    static let productInPassDefaultDimensionLimit = 2
    /// Panels (of 16 references) whose products are summed in Float before the sum is added in Double.
    static let accumulationPanels = 16

    /// - Parameter threadCount: threads for the distance and weight passes (clamped to ≥ 1).
    public convenience init(threadCount: Int = 1) {
        self.init(threadCount: threadCount, productInPassDimensionLimit: Self.productInPassDefaultDimensionLimit)
    }

    /// `productInPassDimensionLimit`: the largest D finished in the weight pass (0: always `sgemm`);
    /// the tests use it to compare both ways on the same data.
    init(threadCount: Int, productInPassDimensionLimit: Int) {
        self.threadCount = max(1, threadCount)
        self.productInPassDimensionLimit = productInPassDimensionLimit
    }

    deinit {
        weights.release()
        rowWeights.release()
        distances.release()
        totals.release()
        ownWeights.release()
        failures.release()
        denseRows.release()
        denseList.release()
        denseOutput.release()
    }

    /// D̂ for `count` queries (count × D, row-major) at per-row noise levels `times` (finite, > 0).
    /// `queryLabels` restricts query i to the references labelled `queryLabels[i]` (an error names a
    /// label no reference carries); `effectiveSampleSizes` receives 1 / Σ_j w_ij² per query.
    public func estimate(_ queries: UnsafePointer<Float>, count: Int, times: UnsafePointer<Float>,
                         queryLabels: UnsafePointer<Int32>? = nil, references: ScoreIdentityReferences<Float>,
                         into output: UnsafeMutablePointer<Float>,
                         effectiveSampleSizes: UnsafeMutablePointer<Double>? = nil) throws(ScoreIdentityError) {
        let dimension = references.dimension
        try references.checkQueries(count: count, labelled: queryLabels != nil)
        try ScoreIdentityValidation.checkTimes(times, count: count)
        try ScoreIdentityValidation.checkFinite(queries, count: count, dimension: dimension, what: "the queries")
        guard count > 0 else { return }

        let poolCount = references.pointCount
        let width = ScoreIdentityReferences<Float>.panelWidth
        let stride = (poolCount + width - 1) / width * width
        let work = count * max(poolCount, 1) * dimension
        let lanes = work >= Self.parallelThreshold ? min(threadCount, (count + Self.queryBlock - 1) / Self.queryBlock) : 1
        let productInPass = dimension <= productInPassDimensionLimit
        let weightBase = weights.reserve(productInPass ? 1 : count * max(stride, 1))
        let rowWeightBase = rowWeights.reserve(lanes * max(stride, 1))
        let distanceBase = distances.reserve(lanes * Self.queryBlock * max(stride, 1))
        let totalBase = totals.reserve(count)
        let ownBase = ownWeights.reserve(count)
        let failureBase = failures.reserve(lanes)
        let denseBase = denseRows.reserve(count)

        references.panels.withUnsafeBufferPointer { panelBuffer in
            references.points.withUnsafeBufferPointer { poolBuffer in
            references.ownPoints.withUnsafeBufferPointer { ownBuffer in
                withOptionalPointer(references.labels) { poolLabels in
                    withOptionalPointer(references.ownLabels) { ownLabels in
                        let pass = WeightPass(
                            queries: queries, times: times, queryLabels: queryLabels, panels: panelBuffer.baseAddress,
                            poolLabels: poolLabels, own: references.layout == .ownPlusPool ? ownBuffer.baseAddress : nil,
                            ownLabels: ownLabels, poolCount: poolCount, stride: stride, dimension: dimension,
                            weights: weightBase, totals: totalBase, ownWeights: ownBase,
                            effectiveSampleSizes: effectiveSampleSizes, pool: poolBuffer.baseAddress, output: output,
                            denseRows: denseBase, productInPass: productInPass)
                        let job = LaneJob(pass: pass, count: count, lanes: lanes, distances: distanceBase,
                                          distanceStride: Self.queryBlock * max(stride, 1), rowWeights: rowWeightBase,
                                          rowWeightStride: max(stride, 1), failures: failureBase)
                        if lanes == 1 { job.run(lane: 0) } else { DispatchQueue.concurrentPerform(iterations: lanes) { job.run(lane: $0) } }
                    }
                }
            }
            }
        }
        for lane in 0..<lanes where failureBase[lane] >= 0 {
            // The weight pass found no finite distance for this row: either no reference carries its
            // label, or every distance overflowed (squares are summed in Float: coordinates beyond ~1e19).
            let row = failureBase[lane]
            if let label = queryLabels?[row], !references.containsReference(labelled: label, forQuery: row) {
                throw .noReferenceWithLabel(row: row, label: label)
            }
            throw .noFiniteDistance(row: row)
        }

        guard !productInPass else { return }
        // Dense rows: D̂ = (E·X₀ + e_own x_own) / total, their weight rows moved together for one product.
        let listBase = denseList.reserve(count)
        var denseCount = 0
        for row in 0..<count where denseBase[row] {
            if denseCount != row { (weightBase + denseCount * stride).update(from: weightBase + row * stride, count: poolCount) }
            listBase[denseCount] = row
            denseCount += 1
        }
        guard denseCount > 0 else { return }
        let products = denseOutput.reserve(denseCount * dimension)
        references.points.withUnsafeBufferPointer { pool in
            try! gemm(MatrixView(base: weightBase, rows: denseCount, columns: poolCount, stride: stride),
                      MatrixView(base: UnsafeMutablePointer(mutating: pool.baseAddress!), rows: poolCount, columns: dimension),
                      into: MatrixView(base: products, rows: denseCount, columns: dimension))
        }
        references.ownPoints.withUnsafeBufferPointer { own in
            for index in 0..<denseCount {
                let row = listBase[index], product = products + index * dimension, out = output + row * dimension
                let inverse = 1 / totalBase[row], e = ownBase[row]
                if references.layout == .ownPlusPool, e > 0 {
                    let x0 = own.baseAddress! + row * dimension
                    for k in 0..<dimension { out[k] = Float((Double(product[k]) + e * Double(x0[k])) * inverse) }
                } else {
                    for k in 0..<dimension { out[k] = Float(Double(product[k]) * inverse) }
                }
            }
        }
    }

    /// The Euler transition with D̂: x̂_r = x_t + (r − t)(x_t − D̂)/t per row (0 ≤ r ≤ t); exactly D̂ when r = 0.
    public func transition(_ queries: UnsafePointer<Float>, count: Int, times: UnsafePointer<Float>,
                           targetTimes: UnsafePointer<Float>, queryLabels: UnsafePointer<Int32>? = nil,
                           references: ScoreIdentityReferences<Float>, into output: UnsafeMutablePointer<Float>,
                           effectiveSampleSizes: UnsafeMutablePointer<Double>? = nil) throws(ScoreIdentityError) {
        try ScoreIdentityValidation.checkTimes(times, count: count)
        try ScoreIdentityValidation.checkTargetTimes(targetTimes, times: times, count: count)
        try estimate(queries, count: count, times: times, queryLabels: queryLabels, references: references,
                     into: output, effectiveSampleSizes: effectiveSampleSizes)
        eulerTransitionInPlace(queries, times: times, targetTimes: targetTimes, count: count,
                               dimension: references.dimension, denoised: output)
    }

    /// D̂ for the rows of `queries` at per-row `times`; returns the estimates (count × D).
    public func estimate(_ queries: [Float], times: [Float], queryLabels: [Int32]? = nil,
                         references: ScoreIdentityReferences<Float>) throws(ScoreIdentityError) -> [Float] {
        try run(queries, times: times, targetTimes: nil, queryLabels: queryLabels, references: references)
    }

    /// x̂_r for the rows of `queries` at per-row times t (`times`) and r (`targetTimes`).
    public func transition(_ queries: [Float], times: [Float], targetTimes: [Float], queryLabels: [Int32]? = nil,
                           references: ScoreIdentityReferences<Float>) throws(ScoreIdentityError) -> [Float] {
        try run(queries, times: times, targetTimes: targetTimes, queryLabels: queryLabels, references: references)
    }

    private func run(_ queries: [Float], times: [Float], targetTimes: [Float]?, queryLabels: [Int32]?,
                     references: ScoreIdentityReferences<Float>) throws(ScoreIdentityError) -> [Float] {
        let count = try ScoreIdentityDenoiser.checkArrays(queries, times: times, targetTimes: targetTimes,
                                                          queryLabels: queryLabels, references: references)
        var output = [Float](repeating: 0, count: queries.count)
        var failure: ScoreIdentityError?
        queries.withUnsafeBufferPointer { q in
            times.withUnsafeBufferPointer { t in
                withOptionalPointer(targetTimes) { r in
                    withOptionalPointer(queryLabels) { labels in
                        output.withUnsafeMutableBufferPointer { out in
                            do throws(ScoreIdentityError) {
                                if let r {
                                    try transition(q.baseAddress!, count: count, times: t.baseAddress!, targetTimes: r,
                                                   queryLabels: labels, references: references, into: out.baseAddress!)
                                } else {
                                    try estimate(q.baseAddress!, count: count, times: t.baseAddress!, queryLabels: labels,
                                                 references: references, into: out.baseAddress!)
                                }
                            } catch { failure = error }
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}

/// One thread's share of the weight pass: a contiguous range of whole 4-row query blocks, with its
/// own distance and row-weight scratch and failure slot (the lanes write disjoint memory).
private struct LaneJob: @unchecked Sendable {
    let pass: WeightPass
    let count: Int
    let lanes: Int
    let distances: UnsafeMutablePointer<Double>
    let distanceStride: Int
    let rowWeights: UnsafeMutablePointer<Float>
    let rowWeightStride: Int
    let failures: UnsafeMutablePointer<Int>

    func run(lane: Int) {
        let block = FastScoreIdentityDenoiser.queryBlock
        let blocks = (count + block - 1) / block
        let first = blocks * lane / lanes * block, last = min(blocks * (lane + 1) / lanes * block, count)
        failures[lane] = pass.run(rows: first..<last, distances: distances + lane * distanceStride,
                                  rowWeights: rowWeights + lane * rowWeightStride)
    }
}

/// A growable scratch buffer that keeps its memory between calls.
struct WorkspaceBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>?
    private(set) var capacity = 0

    /// A buffer of at least `count` elements (contents undefined).
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity || base == nil {
            base?.deallocate()
            capacity = max(count, 1)
            base = .allocate(capacity: capacity)
        }
        return base!
    }

    func release() { base?.deallocate() }
}

