import Foundation
import Tensors

/// Steps 1–2 of ``FastScoreIdentityDenoiser`` for a range of query rows: squared distances by direct
/// differences (Double accumulation per block of 16 coordinates), the row maximum of the log-weights
/// subtracted in Double, then e_ij = exp(log-weight) by `weightExponential` (the polynomial of
/// ``fastExp(_:)``) into the weight matrix — or, when `productInPass`, into a one-row scratch, and the
/// row's D̂ is finished here (step 3 of a low-dimensional problem, see ``finishDenseRow(_:weights:own:total:)``).
struct WeightPass {
    let queries: UnsafePointer<Float>
    let times: UnsafePointer<Float>
    let queryLabels: UnsafePointer<Int32>?
    /// The pool (or shared points) in panels of 16 (see ``ScoreIdentityReferences/packPanels``).
    let panels: UnsafePointer<Float>?
    let poolLabels: UnsafePointer<Int32>?
    /// The own points (`ownPlusPool`), nil for a shared set.
    let own: UnsafePointer<Float>?
    let ownLabels: UnsafePointer<Int32>?
    let poolCount: Int
    /// Row stride of `weights` and of the distance scratch: poolCount rounded up to 16.
    let stride: Int
    let dimension: Int
    let weights: UnsafeMutablePointer<Float>
    let totals: UnsafeMutablePointer<Double>
    let ownWeights: UnsafeMutablePointer<Double>
    let effectiveSampleSizes: UnsafeMutablePointer<Double>?
    /// The pool (or shared points) row-major, for rows finished here (sparse weights).
    let pool: UnsafePointer<Float>?
    /// D̂ rows (count × D); written here for sparse rows.
    let output: UnsafeMutablePointer<Float>
    /// Set per row: true when the row's weights are left for the matrix product (dense), false when
    /// the row was finished here.
    let denseRows: UnsafeMutablePointer<Bool>
    /// Every row is finished here: dense rows by ``finishDenseRow(_:weights:own:total:)``, and
    /// `weights` is not written (each lane's one-row scratch is used instead).
    let productInPass: Bool

    /// Fills weights, totals, own weights and ESS for `rows`; returns the first row with no finite
    /// distance (no reference carries its label, or every distance overflowed), or −1. `distances` holds 4 rows of `stride` Doubles; `rowWeights` holds
    /// `stride` Floats (the row's weights when `productInPass`).
    func run(rows: Range<Int>, distances: UnsafeMutablePointer<Double>, rowWeights: UnsafeMutablePointer<Float>) -> Int {
        let block = FastScoreIdentityDenoiser.queryBlock
        var start = rows.lowerBound
        while start < rows.upperBound {
            let rowsHere = min(block, rows.upperBound - start)
            if poolCount > 0, let panels {
                let q0 = queries + start * dimension
                let q1 = queries + (start + min(1, rowsHere - 1)) * dimension
                let q2 = queries + (start + min(2, rowsHere - 1)) * dimension
                let q3 = queries + (start + min(3, rowsHere - 1)) * dimension
                distanceKernel(q0, q1, q2, q3, panels: panels, into: distances)
            }
            for r in 0..<rowsHere where !finishRow(start + r, distances: distances + r * stride, rowWeights: rowWeights) {
                return start + r
            }
            start += rowsHere
        }
        return -1
    }

    /// d_ij for 4 queries against every pool point: panel by panel, 16 points per vector, squares summed
    /// in Float over 16 coordinates and the block sums in Double.
    @inline(__always)
    private func distanceKernel(_ q0: UnsafePointer<Float>, _ q1: UnsafePointer<Float>, _ q2: UnsafePointer<Float>,
                                _ q3: UnsafePointer<Float>, panels: UnsafePointer<Float>,
                                into distances: UnsafeMutablePointer<Double>) {
        typealias Wide = SIMD8<Double>
        let panelCount = stride / 16, coordinateBlock = FastScoreIdentityDenoiser.coordinateBlock
        for p in 0..<panelCount {
            let panel = panels + p * 16 * dimension
            var a0 = Wide(), b0 = Wide(), a1 = Wide(), b1 = Wide(), a2 = Wide(), b2 = Wide(), a3 = Wide(), b3 = Wide()
            var k = 0
            while k < dimension {
                let end = min(k + coordinateBlock, dimension)
                var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector(), s3 = FloatVector()
                var row = panel + k &* 16
                for c in k..<end {
                    let point = loadVector(row, 0)
                    row += 16
                    let e0 = point - q0[c], e1 = point - q1[c], e2 = point - q2[c], e3 = point - q3[c]
                    s0.addProduct(e0, e0)
                    s1.addProduct(e1, e1)
                    s2.addProduct(e2, e2)
                    s3.addProduct(e3, e3)
                }
                a0 += Wide(s0.lowHalf); b0 += Wide(s0.highHalf)
                a1 += Wide(s1.lowHalf); b1 += Wide(s1.highHalf)
                a2 += Wide(s2.lowHalf); b2 += Wide(s2.highHalf)
                a3 += Wide(s3.lowHalf); b3 += Wide(s3.highHalf)
                k = end
            }
            let column = p * 16
            storeWide(a0, distances + column); storeWide(b0, distances + column + 8)
            storeWide(a1, distances + stride + column); storeWide(b1, distances + stride + column + 8)
            storeWide(a2, distances + 2 * stride + column); storeWide(b2, distances + 2 * stride + column + 8)
            storeWide(a3, distances + 3 * stride + column); storeWide(b3, distances + 3 * stride + column + 8)
        }
    }

    /// Masks padding and other labels, subtracts the minimum distance, exponentiates; false when no
    /// distance is finite (no reference carries the query's label, or every distance overflowed).
    @inline(__always)
    private func finishRow(_ row: Int, distances d: UnsafeMutablePointer<Double>, rowWeights: UnsafeMutablePointer<Float>) -> Bool {
        let label = queryLabels?[row]
        for j in poolCount..<stride { d[j] = .infinity }
        if let label, let poolLabels {
            for j in 0..<poolCount where poolLabels[j] != label { d[j] = .infinity }
        }
        let x = queries + row * dimension
        var ownDistance = Double.infinity
        if let own, label == nil || ownLabels?[row] == label {
            let x0 = own + row * dimension
            var squared = 0.0
            for k in 0..<dimension {
                let difference = Double(x[k]) - Double(x0[k])
                squared += difference * difference
            }
            ownDistance = squared
        }
        // The row minimum over 16 distances per step, in two independent chains (one chain of
        // compare-and-select waits on itself every 8 values).
        var smallestLow = SIMD8<Double>(repeating: .infinity), smallestHigh = smallestLow
        var j = 0
        while j < stride {
            let low = loadWide(d + j), high = loadWide(d + j + 8)
            smallestLow = smallestLow.replacing(with: low, where: low .< smallestLow)
            smallestHigh = smallestHigh.replacing(with: high, where: high .< smallestHigh)
            j += 16
        }
        let smallest = smallestLow.replacing(with: smallestHigh, where: smallestHigh .< smallestLow)
        var minimum = ownDistance
        for lane in 0..<8 { minimum = Swift.min(minimum, smallest[lane]) }
        guard minimum < .infinity else { return false }

        let t = Double(times[row]), factor = -0.5 / (t * t)
        let out = productInPass ? rowWeights : weights + row * stride
        // Log-weights relative to the row maximum (in Double), then e = exp in Float lanes; weights
        // below e^−87 (other labels, padding, far points) are exactly 0. Three simple passes: they compile
        // to straight vector code (fused, the compiler splits the 16-lane exponential into 8-lane halves).
        // The third sums e, e² and the nonzero count, the first and the second 8 of every 16 weights in
        // separate Double accumulators, so no chain of additions waits on itself every 8 values.
        for j in 0..<stride { out[j] = Float((d[j] - minimum) * factor) }
        j = 0
        while j < stride {
            let logits = loadVector(out, j)
            // 16 far references (the common case at small t) skip the polynomial: all their weights are 0.
            storeVector(any(logits .>= -87) ? weightExponential(logits) : FloatVector(), out, j)
            j += 16
        }
        var sumLow = SIMD8<Double>(), sumHigh = SIMD8<Double>(), squaresLow = SIMD8<Double>(), squaresHigh = SIMD8<Double>()
        var nonzeroLow = SIMD8<Double>(), nonzeroHigh = SIMD8<Double>()
        j = 0
        while j < stride {
            let low = SIMD8<Double>(UnsafeRawPointer(out + j).loadUnaligned(as: SIMD8<Float>.self))
            let high = SIMD8<Double>(UnsafeRawPointer(out + j + 8).loadUnaligned(as: SIMD8<Float>.self))
            sumLow += low
            sumHigh += high
            squaresLow += low * low
            squaresHigh += high * high
            nonzeroLow += SIMD8<Double>().replacing(with: 1, where: low .> 0)
            nonzeroHigh += SIMD8<Double>().replacing(with: 1, where: high .> 0)
            j += 16
        }
        let ownE = ownDistance < .infinity ? Foundation.exp((ownDistance - minimum) * factor) : 0
        let total = (sumLow + sumHigh).sum() + ownE, totalOfSquares = (squaresLow + squaresHigh).sum() + ownE * ownE
        totals[row] = total
        ownWeights[row] = ownE
        effectiveSampleSizes?[row] = total * total / totalOfSquares
        let sparse = (nonzeroLow + nonzeroHigh).sum() <= Double(FastScoreIdentityDenoiser.sparseRowLimit)
        denseRows[row] = !sparse && !productInPass
        if sparse {
            finishSparseRow(row, weights: out, own: ownE, total: total)
        } else if productInPass {
            finishDenseRow(row, weights: out, own: ownE, total: total)
        }
        return true
    }

    /// D̂_i = (Σ_j e_ij x₀^(j) + e_own x_own) / total for a dense row when D is small (the product E·X₀
    /// is then a few multiply-adds per weight, and writing E out and reading it back for `sgemm` costs
    /// more than the product): per coordinate k, Σ_j e_ij x₀,k^(j) over the panels, 16 references per
    /// vector in four Float accumulators, each block of 16 panels (256 references) summed in Double.
    @inline(__always)
    private func finishDenseRow(_ row: Int, weights e: UnsafePointer<Float>, own ownE: Double, total: Double) {
        let inverse = 1 / total, out = output + row * dimension
        let ownPoint = own.map { $0 + row * dimension }
        let panelCount = stride / 16, block = FastScoreIdentityDenoiser.accumulationPanels, panelSize = 16 * dimension
        for k in 0..<dimension {
            var low = SIMD8<Double>(), high = SIMD8<Double>()
            if let panels {
                let coordinate = panels + 16 * k
                var start = 0
                while start < panelCount {
                    let end = Swift.min(start + block, panelCount)
                    var a0 = FloatVector(), a1 = FloatVector(), a2 = FloatVector(), a3 = FloatVector()
                    var p = start
                    while p + 4 <= end {
                        a0.addProduct(loadVector(e, 16 * p), loadVector(coordinate, p * panelSize))
                        a1.addProduct(loadVector(e, 16 * (p + 1)), loadVector(coordinate, (p + 1) * panelSize))
                        a2.addProduct(loadVector(e, 16 * (p + 2)), loadVector(coordinate, (p + 2) * panelSize))
                        a3.addProduct(loadVector(e, 16 * (p + 3)), loadVector(coordinate, (p + 3) * panelSize))
                        p += 4
                    }
                    while p < end {
                        a0.addProduct(loadVector(e, 16 * p), loadVector(coordinate, p * panelSize))
                        p += 1
                    }
                    let blockSum = (a0 + a1) + (a2 + a3)
                    low += SIMD8<Double>(blockSum.lowHalf)
                    high += SIMD8<Double>(blockSum.highHalf)
                    start = end
                }
            }
            var value = (low + high).sum()
            if let ownPoint, ownE > 0 { value += ownE * Double(ownPoint[k]) }
            out[k] = Float(value * inverse)
        }
    }

    /// D̂_i = (Σ_{j: e_ij > 0} e_ij x₀^(j) + e_own x_own) / total, summed in Double over the few nonzero
    /// weights — at small t almost every row has one (ESS ≈ 1), and a dense product would be wasted.
    @inline(__always)
    private func finishSparseRow(_ row: Int, weights e: UnsafeMutablePointer<Float>, own ownE: Double, total: Double) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: dimension) { buffer in
            let accumulator = buffer.baseAddress!
            accumulator.initialize(repeating: 0, count: dimension)
            if let pool {
                var j = 0
                while j < stride {
                    if loadVector(e, j).sum() > 0 {
                        for lane in j..<Swift.min(j + 16, poolCount) where e[lane] > 0 {
                            let w = Double(e[lane]), point = pool + lane * dimension
                            for k in 0..<dimension { accumulator[k] += w * Double(point[k]) }
                        }
                    }
                    j += 16
                }
            }
            if let own, ownE > 0 {
                let point = own + row * dimension
                for k in 0..<dimension { accumulator[k] += ownE * Double(point[k]) }
            }
            let inverse = 1 / total, out = output + row * dimension
            for k in 0..<dimension { out[k] = Float(accumulator[k] * inverse) }
        }
    }
}

@inline(__always)
private func loadWide(_ pointer: UnsafePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
private func loadWide(_ pointer: UnsafeMutablePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
private func storeWide(_ value: SIMD8<Double>, _ pointer: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Double>.self)
}
