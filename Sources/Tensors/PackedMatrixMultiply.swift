/// A single-threaded, register-blocked SIMD matrix product for the moderate shapes of an MLP step:
///
///     C ← α · op(A) · op(B) + β · C,   op(A) m × k, op(B) k × n, all row-major with row strides
///
/// organised as in Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS
/// 34(3), 2008) and the BLIS micro-kernel design (Van Zee & van de Geijn, ACM TOMS 41(3), 2015): the
/// inner dimension is cut into blocks of at most ``depthBlock``; per block the needed rows of op(B) are
/// packed into 32-column panels (`depth × 32`, contiguous, zero-padded past column n), and a 12 × 32
/// tile of C is accumulated in 24 AVX-512 registers (SIMD16<Float>) by one fused multiply-add per
/// register per step of the inner dimension. op(A) is read in place when twelve of its rows are present
/// (for Aᵀ the twelve values of one step are adjacent in memory); the last, partial row block is packed
/// with zero rows.
///
/// Unlike OpenBLAS it does not pack A and packs op(B) once per call. Measured on one AVX-512 core against
/// OpenBLAS 0.3.21 it is as fast within ±5 % on the square-ish products of an MLP step (256 × 256 × 256,
/// 512 × 256 × 256) and 0.72–0.98 × OpenBLAS's time when C has 32 or 64 columns and no operand is transposed
/// — too close to route: ``MatrixProductEngine/preferred(m:n:k:transposeA:transposeB:)`` never chooses it,
/// and it serves as the comparison of `consistency-td-bench --per-product`. The summation order
/// over the inner dimension is fixed by the shape (blocks in increasing order, steps in increasing order
/// inside a block), so the same inputs always give bitwise the same output, on any thread. It allocates
/// only when a thread first meets a larger shape (``MatrixProductScratch``). With β = 0, C is not read
/// (NaN or infinity there is ignored, as in BLAS).
enum PackedMatrixMultiply {
    /// Rows of C per register tile (MR).
    static let rowsPerTile = 12
    /// Columns of C per register tile (NR = two 16-lane vectors).
    static let columnsPerTile = 32
    /// The deepest block of the inner dimension (kc; blocks are balanced, so k = 400 gives two of 200): a
    /// 12 × 384 block of A (18 KB) stays in the 48 KB L1 data cache while the panels of B stream from L2.
    static let depthBlock = 384

    /// `C ← α · op(A) · op(B) + β · C` for `m, n, k ≥ 1` (the caller has checked the shapes).
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        let panels = (n + columnsPerTile - 1) / columnsPerTile
        let blocks = (k + depthBlock - 1) / depthBlock
        let blockDepth = (k + blocks - 1) / blocks
        let scratch = MatrixProductScratch.current
        scratch.reserve(packedA: rowsPerTile * blockDepth, packedB: panels * columnsPerTile * blockDepth)
        let packedA = scratch.packedA, packedB = scratch.packedB
        var first = 0
        while first < k {
            let depth = min(blockDepth, k - first)
            packB(b, ldb: ldb, transposed: transposeB, depthOffset: first, depth: depth, n: n, into: packedB)
            let blockBeta = first == 0 ? beta : 1
            var row = 0
            while row < m {
                let rows = min(rowsPerTile, m - row)
                let cRow = c + row * ldc
                if rows == rowsPerTile {
                    if transposeA {
                        // op(A)[row + r, first + p] = a[(first + p)·lda + row + r]: adjacent in r.
                        multiplyRowBlock(a + first * lda + row, rowStride: 1, depthStride: lda, depth: depth,
                                         packedB: packedB, panels: panels, c: cRow, ldc: ldc, rows: rows, n: n,
                                         alpha: alpha, beta: blockBeta)
                    } else {
                        multiplyRowBlock(a + row * lda + first, rowStride: lda, depthStride: 1, depth: depth,
                                         packedB: packedB, panels: panels, c: cRow, ldc: ldc, rows: rows, n: n,
                                         alpha: alpha, beta: blockBeta)
                    }
                } else {
                    packA(a, lda: lda, transposed: transposeA, row: row, rows: rows, depthOffset: first, depth: depth,
                          into: packedA)
                    multiplyRowBlock(UnsafePointer(packedA), rowStride: 1, depthStride: rowsPerTile, depth: depth,
                                     packedB: packedB, panels: panels, c: cRow, ldc: ldc, rows: rows, n: n,
                                     alpha: alpha, beta: blockBeta)
                }
                row += rowsPerTile
            }
            first += depth
        }
    }

    /// One block of twelve rows of op(A) (element (r, p) at `a[r·rowStride + p·depthStride]`) times every
    /// packed panel of B.
    @inline(__always)
    static func multiplyRowBlock(
        _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, depth: Int,
        packedB: UnsafeMutablePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, n: Int, alpha: Float, beta: Float
    ) {
        for panel in 0..<panels {
            let column = panel * columnsPerTile
            microKernel(depth: depth, a: a, rowStride: rowStride, depthStride: depthStride,
                        packedB: packedB + panel * columnsPerTile * depth, c: c + column, ldc: ldc, rows: rows,
                        columns: min(columnsPerTile, n - column), alpha: alpha, beta: beta)
        }
    }

    /// Packs rows `depthOffset ..< depthOffset + depth` of op(B) into 32-column panels:
    /// `packed[panel·32·depth + p·32 + j] = op(B)[depthOffset + p, panel·32 + j]`, zero past column n.
    static func packB(
        _ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, depthOffset: Int, depth: Int, n: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        let panels = (n + columnsPerTile - 1) / columnsPerTile
        for panel in 0..<panels {
            let column = panel * columnsPerTile, columns = min(columnsPerTile, n - column)
            let out = packed + panel * columnsPerTile * depth
            if !transposed {
                for p in 0..<depth {
                    let source = b + (depthOffset + p) * ldb + column, target = out + p * columnsPerTile
                    if columns == columnsPerTile {
                        storeVector(loadVector(source, 0), target, 0)
                        storeVector(loadVector(source, 16), target, 16)
                    } else {
                        for j in 0..<columns { target[j] = source[j] }
                        for j in columns..<columnsPerTile { target[j] = 0 }
                    }
                }
            } else {
                // op(B)[p, j] = b[j·ldb + p]: read along a row of b, write down a panel column.
                for j in 0..<columns {
                    let source = b + (column + j) * ldb + depthOffset
                    var p = 0
                    while p + 16 <= depth {
                        let values = loadVector(source, p)
                        for lane in 0..<16 { out[(p + lane) * columnsPerTile + j] = values[lane] }
                        p += 16
                    }
                    while p < depth {
                        out[p * columnsPerTile + j] = source[p]
                        p += 1
                    }
                }
                if columns < columnsPerTile {
                    for p in 0..<depth {
                        for j in columns..<columnsPerTile { out[p * columnsPerTile + j] = 0 }
                    }
                }
            }
        }
    }

    /// Packs a partial block of `rows < 12` rows of op(A): `packed[p·12 + r] = op(A)[row + r, depthOffset + p]`,
    /// zero for r ≥ rows.
    static func packA(
        _ a: UnsafePointer<Float>, lda: Int, transposed: Bool, row: Int, rows: Int, depthOffset: Int, depth: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        for p in 0..<depth {
            let target = packed + p * rowsPerTile
            for r in 0..<rowsPerTile {
                if r < rows {
                    target[r] = transposed ? a[(depthOffset + p) * lda + row + r] : a[(row + r) * lda + depthOffset + p]
                } else {
                    target[r] = 0
                }
            }
        }
    }

    /// Writes up to 16 values of one tile row: `C[0..<count] ← α · v[0..<count] + β · C[0..<count]` (C not
    /// read when β = 0; nothing when count ≤ 0).
    @inline(__always)
    static func storePart(_ v: FloatVector, _ c: UnsafeMutablePointer<Float>, count: Int, alpha: Float, beta: Float) {
        if count >= 16 {
            if beta == 0 {
                storeVector(alpha * v, c, 0)
            } else {
                storeVector(alpha * v + beta * loadVector(c, 0), c, 0)
            }
        } else if count > 0 {
            for j in 0..<count { c[j] = beta == 0 ? alpha * v[j] : alpha * v[j] + beta * c[j] }
        }
    }

    /// The 12 × 32 register tile: `C[0..<rows, 0..<columns] ← α · Â·B̂ + β · C`, where Â is the `12 × depth`
    /// row block (element (r, p) at `a[r·rowStride + p·depthStride]`) and B̂ the packed `depth × 32` panel.
    /// 24 accumulators of 16 lanes; per step of the inner dimension 2 vector loads of B̂, 12 broadcasts of
    /// Â and 24 fused multiply-adds, in the fixed order p = 0, 1, … (deterministic).
    @inline(__always)
    static func microKernel(
        depth: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, packedB: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        var c0x0 = FloatVector(), c0x1 = FloatVector(),
            c1x0 = FloatVector(), c1x1 = FloatVector(),
            c2x0 = FloatVector(), c2x1 = FloatVector(),
            c3x0 = FloatVector(), c3x1 = FloatVector(),
            c4x0 = FloatVector(), c4x1 = FloatVector(),
            c5x0 = FloatVector(), c5x1 = FloatVector(),
            c6x0 = FloatVector(), c6x1 = FloatVector(),
            c7x0 = FloatVector(), c7x1 = FloatVector(),
            c8x0 = FloatVector(), c8x1 = FloatVector(),
            c9x0 = FloatVector(), c9x1 = FloatVector(),
            c10x0 = FloatVector(), c10x1 = FloatVector(),
            c11x0 = FloatVector(), c11x1 = FloatVector()
        let a0 = a + 0 * rowStride
        let a1 = a + 1 * rowStride
        let a2 = a + 2 * rowStride
        let a3 = a + 3 * rowStride
        let a4 = a + 4 * rowStride
        let a5 = a + 5 * rowStride
        let a6 = a + 6 * rowStride
        let a7 = a + 7 * rowStride
        let a8 = a + 8 * rowStride
        let a9 = a + 9 * rowStride
        let a10 = a + 10 * rowStride
        let a11 = a + 11 * rowStride
        var offset = 0
        var bp = packedB
        for _ in 0..<depth {
            let b0 = loadVector(bp, 0), b1 = loadVector(bp, 16)
            var broadcast: FloatVector
            broadcast = FloatVector(repeating: a0[offset]); c0x0.addProduct(broadcast, b0); c0x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a1[offset]); c1x0.addProduct(broadcast, b0); c1x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a2[offset]); c2x0.addProduct(broadcast, b0); c2x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a3[offset]); c3x0.addProduct(broadcast, b0); c3x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a4[offset]); c4x0.addProduct(broadcast, b0); c4x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a5[offset]); c5x0.addProduct(broadcast, b0); c5x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a6[offset]); c6x0.addProduct(broadcast, b0); c6x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a7[offset]); c7x0.addProduct(broadcast, b0); c7x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a8[offset]); c8x0.addProduct(broadcast, b0); c8x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a9[offset]); c9x0.addProduct(broadcast, b0); c9x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a10[offset]); c10x0.addProduct(broadcast, b0); c10x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: a11[offset]); c11x0.addProduct(broadcast, b0); c11x1.addProduct(broadcast, b1)
            offset += depthStride
            bp += 32
        }
        if rows > 0 {
            storePart(c0x0, c + 0 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c0x1, c + 0 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 1 {
            storePart(c1x0, c + 1 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c1x1, c + 1 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 2 {
            storePart(c2x0, c + 2 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c2x1, c + 2 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 3 {
            storePart(c3x0, c + 3 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c3x1, c + 3 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 4 {
            storePart(c4x0, c + 4 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c4x1, c + 4 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 5 {
            storePart(c5x0, c + 5 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c5x1, c + 5 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 6 {
            storePart(c6x0, c + 6 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c6x1, c + 6 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 7 {
            storePart(c7x0, c + 7 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c7x1, c + 7 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 8 {
            storePart(c8x0, c + 8 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c8x1, c + 8 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 9 {
            storePart(c9x0, c + 9 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c9x1, c + 9 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 10 {
            storePart(c10x0, c + 10 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c10x1, c + 10 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
        if rows > 11 {
            storePart(c11x0, c + 11 * ldc + 0, count: columns - 0, alpha: alpha, beta: beta)
            storePart(c11x1, c + 11 * ldc + 16, count: columns - 16, alpha: alpha, beta: beta)
        }
    }
}
