/// A single-threaded SIMD matrix product for narrow outputs (n ≤ ``maximumColumns`` columns of C), the
/// last layer of an MLP whose output is a low-dimensional point (D = 2 for the ring of eight):
///
///     C ← α · op(A) · op(B) + β · C,   op(A) m × k, op(B) k × n, n ≤ 4
///
/// A register-blocked GEMM (Goto & van de Geijn, ACM TOMS 34(3), 2008) packs B into panels of 16 or 32
/// columns, so for n = 2 it wastes 15 of every 16 multiply-adds; OpenBLAS has the same problem at some
/// shapes. Here the product is reorganised around the long dimensions instead, two columns of C at a time:
///
/// - op(A) = A (rows of A contiguous in p): each C[i, j] is a dot product `Σ_p A[i, p] · op(B)[p, j]`,
///   vectorised over p with op(B)ᵀ packed as `n × k`; eight rows × two columns = 16 accumulators.
/// - op(A) = Aᵀ (A stored k × m, so a step p of the inner dimension reads m contiguous values): each
///   column of C is `Σ_p op(B)[p, j] · A[p, :]`, vectorised over i, 64 rows × two columns at a time.
///
/// The summation order is fixed by the shape (so results are bitwise reproducible on any thread), and with
/// β = 0, C is not read. The only buffer is the packed op(B)ᵀ in the thread's ``MatrixProductScratch``.
enum NarrowMatrixMultiply {
    /// The widest C handled.
    static let maximumColumns = 4

    /// `C ← α · op(A) · op(B) + β · C` for `m, k ≥ 1` and `1 ≤ n ≤ maximumColumns`.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        if transposeA {
            var column = 0
            while column < n {
                let pair = min(2, n - column)
                outerProductColumns(m: m, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, column: column,
                                    pair: pair, c: c, ldc: ldc, alpha: alpha, beta: beta)
                column += 2
            }
            return
        }
        // op(B)ᵀ packed: packed[j·k + p] = op(B)[p, j].
        let scratch = MatrixProductScratch.current
        scratch.reserve(packedA: 0, packedB: n * k)
        let packed = scratch.packedB
        for j in 0..<n {
            let row = packed + j * k
            if transposeB {
                row.update(from: b + j * ldb, count: k)
            } else {
                for p in 0..<k { row[p] = b[p * ldb + j] }
            }
        }
        var column = 0
        while column < n {
            let first = UnsafePointer(packed + column * k)
            let second = column + 1 < n ? UnsafePointer(packed + (column + 1) * k) : first
            let pair = min(2, n - column)
            var row = 0
            while row + 8 <= m {
                dotProductBlock(k: k, a: a + row * lda, lda: lda, first: first, second: second, pair: pair,
                                c: c + row * ldc + column, ldc: ldc, alpha: alpha, beta: beta)
                row += 8
            }
            while row < m {
                dotProductRow(k: k, a: a + row * lda, first: first, second: second, pair: pair,
                              c: c + row * ldc + column, alpha: alpha, beta: beta)
                row += 1
            }
            column += 2
        }
    }

    /// `C ← α·value + β·C` for one element, not reading C when β = 0.
    @inline(__always)
    static func update(_ c: UnsafeMutablePointer<Float>, _ value: Float, alpha: Float, beta: Float) {
        c.pointee = beta == 0 ? alpha * value : alpha * value + beta * c.pointee
    }

    /// Eight rows of A (each contiguous, `lda` apart) dotted with one or two packed columns of op(B).
    @inline(__always)
    static func dotProductBlock(
        k: Int, a: UnsafePointer<Float>, lda: Int, first: UnsafePointer<Float>, second: UnsafePointer<Float>,
        pair: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        let a4 = a + 4 * lda, a5 = a + 5 * lda, a6 = a + 6 * lda, a7 = a + 7 * lda
        var s00 = FloatVector(), s01 = FloatVector(), s10 = FloatVector(), s11 = FloatVector()
        var s20 = FloatVector(), s21 = FloatVector(), s30 = FloatVector(), s31 = FloatVector()
        var s40 = FloatVector(), s41 = FloatVector(), s50 = FloatVector(), s51 = FloatVector()
        var s60 = FloatVector(), s61 = FloatVector(), s70 = FloatVector(), s71 = FloatVector()
        var p = 0
        while p + 16 <= k {
            let u = loadVector(first, p), v = loadVector(second, p)
            var x = loadVector(a0, p); s00.addProduct(x, u); s01.addProduct(x, v)
            x = loadVector(a1, p); s10.addProduct(x, u); s11.addProduct(x, v)
            x = loadVector(a2, p); s20.addProduct(x, u); s21.addProduct(x, v)
            x = loadVector(a3, p); s30.addProduct(x, u); s31.addProduct(x, v)
            x = loadVector(a4, p); s40.addProduct(x, u); s41.addProduct(x, v)
            x = loadVector(a5, p); s50.addProduct(x, u); s51.addProduct(x, v)
            x = loadVector(a6, p); s60.addProduct(x, u); s61.addProduct(x, v)
            x = loadVector(a7, p); s70.addProduct(x, u); s71.addProduct(x, v)
            p += 16
        }
        if p < k {
            let count = k - p
            let u = loadPartialVector(first, p, count: count), v = loadPartialVector(second, p, count: count)
            var x = loadPartialVector(a0, p, count: count); s00.addProduct(x, u); s01.addProduct(x, v)
            x = loadPartialVector(a1, p, count: count); s10.addProduct(x, u); s11.addProduct(x, v)
            x = loadPartialVector(a2, p, count: count); s20.addProduct(x, u); s21.addProduct(x, v)
            x = loadPartialVector(a3, p, count: count); s30.addProduct(x, u); s31.addProduct(x, v)
            x = loadPartialVector(a4, p, count: count); s40.addProduct(x, u); s41.addProduct(x, v)
            x = loadPartialVector(a5, p, count: count); s50.addProduct(x, u); s51.addProduct(x, v)
            x = loadPartialVector(a6, p, count: count); s60.addProduct(x, u); s61.addProduct(x, v)
            x = loadPartialVector(a7, p, count: count); s70.addProduct(x, u); s71.addProduct(x, v)
        }
        // Lane 2r + j of `sums` is Σ_p A[r, p]·op(B)[p, column + j].
        let sums = mergePairs(
            mergePairs(mergePairs(mergePairs(s00, s01), mergePairs(s10, s11)), mergePairs(mergePairs(s20, s21), mergePairs(s30, s31))),
            mergePairs(mergePairs(mergePairs(s40, s41), mergePairs(s50, s51)), mergePairs(mergePairs(s60, s61), mergePairs(s70, s71))))
        for r in 0..<8 {
            update(c + r * ldc, sums[2 * r], alpha: alpha, beta: beta)
            if pair > 1 { update(c + r * ldc + 1, sums[2 * r + 1], alpha: alpha, beta: beta) }
        }
    }

    /// One level of a transposed reduction: lane l < 8 is x[2l] + x[2l + 1], lane 8 + l is y[2l] + y[2l + 1].
    /// Four levels turn sixteen accumulators into one vector of their sixteen lane sums (lane i = sum of the
    /// i-th accumulator), with 15 shuffle-and-add steps instead of 16 separate horizontal sums.
    @inline(__always)
    static func mergePairs(_ x: FloatVector, _ y: FloatVector) -> FloatVector {
        FloatVector(lowHalf: x.evenHalf, highHalf: y.evenHalf) + FloatVector(lowHalf: x.oddHalf, highHalf: y.oddHalf)
    }

    /// One row of A dotted with one or two packed columns of op(B).
    @inline(__always)
    static func dotProductRow(
        k: Int, a: UnsafePointer<Float>, first: UnsafePointer<Float>, second: UnsafePointer<Float>, pair: Int,
        c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float
    ) {
        var s0 = FloatVector(), s1 = FloatVector()
        var p = 0
        while p + 16 <= k {
            let x = loadVector(a, p)
            s0.addProduct(x, loadVector(first, p))
            s1.addProduct(x, loadVector(second, p))
            p += 16
        }
        if p < k {
            let count = k - p
            let x = loadPartialVector(a, p, count: count)
            s0.addProduct(x, loadPartialVector(first, p, count: count))
            s1.addProduct(x, loadPartialVector(second, p, count: count))
        }
        storePair(s0, s1, c, pair: pair, alpha: alpha, beta: beta)
    }

    /// Stores the lane sums of one or two accumulators into C[0] and C[1].
    @inline(__always)
    static func storePair(_ s0: FloatVector, _ s1: FloatVector, _ c: UnsafeMutablePointer<Float>, pair: Int,
                          alpha: Float, beta: Float) {
        update(c, s0.sum(), alpha: alpha, beta: beta)
        if pair > 1 { update(c + 1, s1.sum(), alpha: alpha, beta: beta) }
    }

    /// Columns `column ..< column + pair` of C for op(A) = Aᵀ: C[i, j] = Σ_p A[p, i] · op(B)[p, j],
    /// vectorised over i (64, then 16 rows at a time, then one by one).
    static func outerProductColumns(
        m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        column: Int, pair: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        // op(B)[p, j] = b[p·stepP + j·stepJ].
        let stepP = transposeB ? 1 : ldb, stepJ = transposeB ? ldb : 1
        let first = b + column * stepJ, second = pair > 1 ? first + stepJ : first
        var row = 0
        while row + 64 <= m {
            var t00 = FloatVector(), t01 = FloatVector(), t10 = FloatVector(), t11 = FloatVector()
            var t20 = FloatVector(), t21 = FloatVector(), t30 = FloatVector(), t31 = FloatVector()
            var source = a + row
            for p in 0..<k {
                let u = FloatVector(repeating: first[p * stepP]), v = FloatVector(repeating: second[p * stepP])
                var x = loadVector(source, 0); t00.addProduct(x, u); t01.addProduct(x, v)
                x = loadVector(source, 16); t10.addProduct(x, u); t11.addProduct(x, v)
                x = loadVector(source, 32); t20.addProduct(x, u); t21.addProduct(x, v)
                x = loadVector(source, 48); t30.addProduct(x, u); t31.addProduct(x, v)
                source += lda
            }
            let target = c + row * ldc + column
            scatterColumns(t00, t01, target, ldc: ldc, rows: 16, pair: pair, alpha: alpha, beta: beta)
            scatterColumns(t10, t11, target + 16 * ldc, ldc: ldc, rows: 16, pair: pair, alpha: alpha, beta: beta)
            scatterColumns(t20, t21, target + 32 * ldc, ldc: ldc, rows: 16, pair: pair, alpha: alpha, beta: beta)
            scatterColumns(t30, t31, target + 48 * ldc, ldc: ldc, rows: 16, pair: pair, alpha: alpha, beta: beta)
            row += 64
        }
        while row < m {
            let rows = min(16, m - row)
            var t0 = FloatVector(), t1 = FloatVector()
            var source = a + row
            for p in 0..<k {
                let x = rows == 16 ? loadVector(source, 0) : loadPartialVector(source, 0, count: rows)
                t0.addProduct(x, FloatVector(repeating: first[p * stepP]))
                t1.addProduct(x, FloatVector(repeating: second[p * stepP]))
                source += lda
            }
            scatterColumns(t0, t1, c + row * ldc + column, ldc: ldc, rows: rows, pair: pair, alpha: alpha, beta: beta)
            row += rows
        }
    }

    /// Writes lanes `0..<rows` of one or two column accumulators down C's columns (rows `ldc` apart).
    @inline(__always)
    static func scatterColumns(
        _ t0: FloatVector, _ t1: FloatVector, _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, pair: Int,
        alpha: Float, beta: Float
    ) {
        for lane in 0..<rows {
            update(c + lane * ldc, t0[lane], alpha: alpha, beta: beta)
            if pair > 1 { update(c + lane * ldc + 1, t1[lane], alpha: alpha, beta: beta) }
        }
    }
}
