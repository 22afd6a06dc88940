/// A single-threaded, register-blocked SIMD matrix product for the moderate shapes of an MLP step:
///
///     C ← α · op(A) · op(B) + β · C,   op(A) m × k, op(B) k × n, all row-major with row strides
///
/// organised as in Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS
/// 34(3), 2008) and the BLIS micro-kernel design (Van Zee & van de Geijn, ACM TOMS 41(3), 2015). The
/// columns of C are cut into chunks of 32-column panels whose packed op(B) fits in half of L2
/// (``packedChunkBudget``); the inner dimension into blocks of at most ``depthBlock``. Per chunk and block
/// the rows of op(B) are packed into panels (`depth × 32`, contiguous, zero-padded past column n); per
/// block of twelve rows, op(A) is packed step-major (`depth × 12`) and a 12 × 32 tile of C is accumulated
/// in 24 AVX-512 registers (SIMD16<Float>) by one fused multiply-add per register per step. Packing goes
/// through registers where it transposes (16 × 16 blocks, ``transpose(_:)``): for Bᵀ and for A read
/// across its rows.
///
/// Measured on one AVX-512 core (Zen 4) against OpenBLAS 0.3.21 "Cooperlake" with
/// `consistency-td-bench --per-product` (2026-11-24), summed over the products of the reference step it
/// takes 1.00–1.04 × OpenBLAS's time (D = 2 and 64, W = 256 and 1024, B = 256 and 1024). On the W × W
/// products both reach 89–105 GFLOP/s against ≈ 120 for a register-only FMA loop; its inner loop (2 loads,
/// 12 broadcasts and 24 FMAs per step, unrolled twice by the compiler) has nothing left to remove. Not
/// faster, so ``MatrixProductEngine/preferred(m:n:k:transposeA:transposeB:)`` never chooses it; it
/// serves as the comparison of `consistency-td-bench --per-product`.
///
/// The summation order over the inner dimension is fixed by the shape (blocks in increasing order, steps
/// in increasing order inside a block), so the same inputs always give bitwise the same output, on any
/// thread. It allocates only when a thread first meets a larger shape (``MatrixProductScratch``). With
/// β = 0, C is not read (NaN or infinity there is ignored, as in BLAS).
enum PackedMatrixMultiply {
    /// Rows of C per register tile (MR).
    static let rowsPerTile = 12
    /// Columns of C per register tile (NR = two 16-lane vectors).
    static let columnsPerTile = 32
    /// The deepest block of the inner dimension (kc; blocks are balanced, so k = 400 gives two of 200): a
    /// packed 12 × 384 block of A (18 KB) stays in the 32 KB L1 data cache while the panels of B stream
    /// from L2.
    static let depthBlock = 384

    /// The most floats of packed op(B) one chunk holds (512 KB, half of a Zen 4 core's L2): the columns are
    /// cut into chunks of whole panels so a chunk's panels stay in L2 while every row block of A passes.
    static let packedChunkBudget = 1 << 17

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
        let panelsPerChunk = max(1, min(panels, packedChunkBudget / (columnsPerTile * blockDepth)))
        let scratch = MatrixProductScratch.current
        scratch.reserve(packedA: rowsPerTile * blockDepth + packedAPadding,
                        packedB: panelsPerChunk * columnsPerTile * blockDepth)
        let packedA = scratch.packedA, packedB = scratch.packedB
        var firstPanel = 0
        while firstPanel < panels {
            let chunkPanels = min(panelsPerChunk, panels - firstPanel)
            let chunkColumn = firstPanel * columnsPerTile
            let chunkColumns = min(chunkPanels * columnsPerTile, n - chunkColumn)
            let chunkB = transposeB ? b + chunkColumn * ldb : b + chunkColumn
            var first = 0
            while first < k {
                let depth = min(blockDepth, k - first)
                packB(chunkB, ldb: ldb, transposed: transposeB, depthOffset: first, depth: depth, n: chunkColumns,
                      into: packedB)
                let blockBeta = first == 0 ? beta : 1
                var row = 0
                while row < m {
                    let rows = min(rowsPerTile, m - row)
                    packA(a, lda: lda, m: m, transposed: transposeA, row: row, rows: rows, depthOffset: first,
                          depth: depth, into: packedA)
                    multiplyRowBlock(UnsafePointer(packedA), depth: depth, packedB: packedB, panels: chunkPanels,
                                     c: c + row * ldc + chunkColumn, ldc: ldc, rows: rows, n: chunkColumns,
                                     alpha: alpha, beta: blockBeta)
                    row += rowsPerTile
                }
                first += depth
            }
            firstPanel += chunkPanels
        }
    }

    /// One packed block of twelve rows of op(A) (element (r, p) at `a[p·12 + r]`) times every packed panel
    /// of a chunk of B.
    @inline(__always)
    static func multiplyRowBlock(
        _ a: UnsafePointer<Float>, depth: Int,
        packedB: UnsafeMutablePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, n: Int, alpha: Float, beta: Float
    ) {
        for panel in 0..<panels {
            let column = panel * columnsPerTile
            microKernel(depth: depth, a: a, packedB: packedB + panel * columnsPerTile * depth, c: c + column,
                        ldc: ldc, rows: rows, columns: min(columnsPerTile, n - column), alpha: alpha, beta: beta)
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
                packTransposedPanel(b + column * ldb + depthOffset, ldb: ldb, depth: depth, columns: columns, into: out)
            }
        }
    }

    /// Packs one panel of op(B) = Bᵀ: `out[p·32 + j] = b[j·ldb + p]` for `j < columns`, zero for
    /// `columns ≤ j < 32`. Whole 16 × 16 blocks go through registers (``transpose(_:)``: sixteen row loads,
    /// sixteen row stores); the rest of the depth and a partial group of columns are copied one by one.
    static func packTransposedPanel(
        _ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let wholeDepth = depth / 16 * 16
        var group = 0
        while group + 16 <= columns {
            let rows = b + group * ldb
            var p = 0
            while p < wholeDepth {
                storeBlock(transpose(loadBlock(rows, stride: ldb, offset: p, rows: 16)),
                           out + p * columnsPerTile + group, stride: columnsPerTile)
                p += 16
            }
            group += 16
        }
        for p in 0..<depth {
            let target = out + p * columnsPerTile
            let firstColumn = p < wholeDepth ? group : 0
            for j in firstColumn..<columns { target[j] = b[j * ldb + p] }
            for j in columns..<columnsPerTile { target[j] = 0 }
        }
    }

    /// Sixteen vectors seen as the rows of a 16 × 16 matrix.
    typealias Block16 = (
        FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector,
        FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector, FloatVector)

    /// Loads a 16 × 16 block: row r is the 16 floats at `source + r·stride + offset`, zero for r ≥ `rows`.
    @inline(__always)
    static func loadBlock(_ source: UnsafePointer<Float>, stride: Int, offset: Int, rows: Int) -> Block16 {
        @inline(__always) func row(_ r: Int) -> FloatVector {
            r < rows ? loadVector(source + r * stride, offset) : FloatVector()
        }
        return (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
                row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
    }

    /// Stores row r of a 16 × 16 block as the 16 floats at `target + r·stride`, in order r = 0, 1, …
    @inline(__always)
    static func storeBlock(_ block: Block16, _ target: UnsafeMutablePointer<Float>, stride: Int) {
        storeVector(block.0, target, 0 * stride)
        storeVector(block.1, target, 1 * stride)
        storeVector(block.2, target, 2 * stride)
        storeVector(block.3, target, 3 * stride)
        storeVector(block.4, target, 4 * stride)
        storeVector(block.5, target, 5 * stride)
        storeVector(block.6, target, 6 * stride)
        storeVector(block.7, target, 7 * stride)
        storeVector(block.8, target, 8 * stride)
        storeVector(block.9, target, 9 * stride)
        storeVector(block.10, target, 10 * stride)
        storeVector(block.11, target, 11 * stride)
        storeVector(block.12, target, 12 * stride)
        storeVector(block.13, target, 13 * stride)
        storeVector(block.14, target, 14 * stride)
        storeVector(block.15, target, 15 * stride)
    }

    /// The transpose of a 16 × 16 block: `result.i[j] = rows.j[i]`.
    ///
    /// With element (r, c) at flat index 16·r + c (8 bits r₃r₂r₁r₀c₃c₂c₁c₀), one ``deinterleave(_:)`` round
    /// rotates those bits right by one; four rounds swap the row and column bits.
    @inline(__always)
    static func transpose(_ rows: Block16) -> Block16 {
        deinterleave(deinterleave(deinterleave(deinterleave(rows))))
    }

    /// One round of ``transpose(_:)``: row j (j < 8) becomes the even lanes of rows 2j, 2j + 1 laid end to
    /// end, row j + 8 their odd lanes.
    @inline(__always)
    static func deinterleave(_ v: Block16) -> Block16 {
        @inline(__always)
        func split(_ x: FloatVector, _ y: FloatVector) -> (even: FloatVector, odd: FloatVector) {
            let pair = SIMD32<Float>(lowHalf: x, highHalf: y)
            return (pair.evenHalf, pair.oddHalf)
        }
        let (w0, w8) = split(v.0, v.1), (w1, w9) = split(v.2, v.3)
        let (w2, w10) = split(v.4, v.5), (w3, w11) = split(v.6, v.7)
        let (w4, w12) = split(v.8, v.9), (w5, w13) = split(v.10, v.11)
        let (w6, w14) = split(v.12, v.13), (w7, w15) = split(v.14, v.15)
        return (w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15)
    }

    /// Packs a block of `rows ≤ 12` rows of op(A): `packed[p·12 + r] = op(A)[row + r, depthOffset + p]`,
    /// zero for r ≥ rows, so the micro-kernel reads the twelve broadcasts of a step from one 48-byte run.
    /// (Read in place instead, twelve rows 1024 floats = 4 KB apart share one 8-way L1 set; the W = 1024
    /// products measured 6–9 % slower so.)
    /// Writes up to 4 floats past `12·depth` (the buffer has room: ``packedAPadding``).
    static func packA(
        _ a: UnsafePointer<Float>, lda: Int, m: Int, transposed: Bool, row: Int, rows: Int, depthOffset: Int,
        depth: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        if transposed {
            // op(A)[row + r, depthOffset + p] = a[(depthOffset + p)·lda + row + r]: adjacent in r.
            let source = a + depthOffset * lda + row
            if row + 16 <= m {
                // 16 lanes are inside the row of a; lanes 12…15 land on the next step's slot (rewritten next).
                for p in 0..<depth { storeVector(loadVector(source + p * lda, 0), packed, p * rowsPerTile) }
            } else {
                for p in 0..<depth {
                    let target = packed + p * rowsPerTile
                    for r in 0..<rows { target[r] = source[p * lda + r] }
                    for r in rows..<rowsPerTile { target[r] = 0 }
                }
            }
            return
        }
        let source = a + row * lda + depthOffset
        let wholeDepth = rows == rowsPerTile ? depth / 16 * 16 : 0
        var p = 0
        while p < wholeDepth {
            // Step p + i takes lanes 0…11 of row i; lanes 12…15 (zero) are overwritten by the next store.
            storeBlock(transpose(loadBlock(source, stride: lda, offset: p, rows: rowsPerTile)), packed + p * rowsPerTile,
                       stride: rowsPerTile)
            p += 16
        }
        while p < depth {
            let target = packed + p * rowsPerTile
            for r in 0..<rows { target[r] = source[r * lda + p] }
            for r in rows..<rowsPerTile { target[r] = 0 }
            p += 1
        }
    }

    /// Floats the packed-A buffer holds beyond `12·depth` (``packA`` stores whole vectors).
    static let packedAPadding = 16

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

    /// The 12 × 32 register tile: `C[0..<rows, 0..<columns] ← α · Â·B̂ + β · C`, where Â is the packed
    /// `12 × depth` row block (element (r, p) at `a[p·12 + r]`) and B̂ the packed `depth × 32` panel.
    /// 24 accumulators of 16 lanes; per step of the inner dimension 2 vector loads of B̂, 12 broadcasts of
    /// Â and 24 fused multiply-adds, in the fixed order p = 0, 1, … (deterministic).
    @inline(__always)
    static func microKernel(
        depth: Int, a: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
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
        var ap = a
        var bp = packedB
        for _ in 0..<depth {
            let b0 = loadVector(bp, 0), b1 = loadVector(bp, 16)
            var broadcast: FloatVector
            broadcast = FloatVector(repeating: ap[0]); c0x0.addProduct(broadcast, b0); c0x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[1]); c1x0.addProduct(broadcast, b0); c1x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[2]); c2x0.addProduct(broadcast, b0); c2x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[3]); c3x0.addProduct(broadcast, b0); c3x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[4]); c4x0.addProduct(broadcast, b0); c4x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[5]); c5x0.addProduct(broadcast, b0); c5x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[6]); c6x0.addProduct(broadcast, b0); c6x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[7]); c7x0.addProduct(broadcast, b0); c7x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[8]); c8x0.addProduct(broadcast, b0); c8x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[9]); c9x0.addProduct(broadcast, b0); c9x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[10]); c10x0.addProduct(broadcast, b0); c10x1.addProduct(broadcast, b1)
            broadcast = FloatVector(repeating: ap[11]); c11x0.addProduct(broadcast, b0); c11x1.addProduct(broadcast, b1)
            ap += rowsPerTile
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
