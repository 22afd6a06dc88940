/// One matrix product whose operands are packed once, in the layout the 12 × 32 micro-kernel of
/// ``PackedMatrixMultiply`` reads, and then multiplied any number of times:
///
///     C ← op(A) · op(B),   op(A) m × k, op(B) k × n
///
/// Each multiplication runs the micro-kernel alone: no packing, no copy, no allocation. This is the
/// matrix-product time of an engine that never packs — one that keeps its weights packed across steps
/// (the optimizer writing the packed copy) and writes its activations packed from its epilogues.
/// `consistency-td-bench` times the reference step's products this way ("pre-packed ms") as a lower
/// bound for any engine built on this kernel; it is a measuring instrument, not a layer's engine.
///
/// The inner dimension is cut into the same balanced blocks of at most
/// ``PackedMatrixMultiply/depthBlock`` as ``PackedMatrixMultiply/multiply(m:n:k:a:lda:transposeA:b:ldb:transposeB:c:ldc:alpha:beta:)``,
/// summed in the same order, so the result is bitwise that of the packed engine with α = 1, β = 0.
/// Packed op(A) holds, per depth block, one `depth × 12` run per block of twelve rows (zero past row m);
/// packed op(B) holds, per depth block, one `depth × 32` panel per 32 columns (zero past column n).
/// The operands are copied at construction: later changes to A or B are not seen.
public final class PrepackedMatrixProduct {
    /// Rows of op(A) and of C.
    public let m: Int
    /// Columns of op(B) and of C.
    public let n: Int
    /// The inner dimension.
    public let k: Int
    /// Rows of C per register tile (and per row block).
    public static let rowsPerTile = PackedMatrixMultiply.rowsPerTile
    /// Columns of C per register tile: a product with fewer columns pads its tiles with zeros.
    public static let columnsPerTile = PackedMatrixMultiply.columnsPerTile

    /// Blocks of twelve rows of C (the unit ``multiply(into:rowBlocks:)`` splits work by).
    public let rowBlockCount: Int

    private let panelCount: Int
    private let depthBlocks: [(first: Int, depth: Int)]
    /// Floats of one packed row block of A in one depth block (`12·depth` plus the packer's padding).
    private let rowBlockStrides: [Int]
    /// Offset of each depth block in ``packedA`` and ``packedB``.
    private let offsetsA: [Int], offsetsB: [Int]
    private let packedA: GrowableFloatBuffer
    private let packedB: GrowableFloatBuffer

    /// Packs `op(A)` and `op(B)` (both matrices, rank 2). Throws, naming both shapes, when the inner
    /// dimensions differ or a dimension is zero.
    public init(_ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false) throws(TensorError) {
        guard a.rank == 2, b.rank == 2 else {
            throw .shapeMismatch(operation: "pre-packed matrix product", lhs: a.shape, rhs: b.shape,
                                 expectation: "both operands must be matrices (rank 2)")
        }
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let kB = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        guard k == kB else {
            throw .shapeMismatch(
                operation: "pre-packed matrix product\(transposeA ? " Aᵀ" : " A")·\(transposeB ? "Bᵀ" : "B")",
                lhs: a.shape, rhs: b.shape,
                expectation: "op(A) has \(k) columns but op(B) has \(kB) rows; they must be equal")
        }
        guard m > 0, n > 0, k > 0 else {
            throw .shapeMismatch(operation: "pre-packed matrix product", lhs: a.shape, rhs: b.shape,
                                 expectation: "every dimension of the product must be at least 1")
        }
        self.m = m
        self.n = n
        self.k = k
        let tileRows = PackedMatrixMultiply.rowsPerTile, tileColumns = PackedMatrixMultiply.columnsPerTile
        rowBlockCount = (m + tileRows - 1) / tileRows
        panelCount = (n + tileColumns - 1) / tileColumns
        let blockCount = (k + PackedMatrixMultiply.depthBlock - 1) / PackedMatrixMultiply.depthBlock
        let blockDepth = (k + blockCount - 1) / blockCount
        depthBlocks = stride(from: 0, to: k, by: blockDepth).map { ($0, min(blockDepth, k - $0)) }
        rowBlockStrides = depthBlocks.map { tileRows * $0.depth + PackedMatrixMultiply.packedAPadding }
        var offsetA = 0, offsetB = 0, offsetsA: [Int] = [], offsetsB: [Int] = []
        for (block, stride) in zip(depthBlocks, rowBlockStrides) {
            offsetsA.append(offsetA)
            offsetsB.append(offsetB)
            offsetA += rowBlockCount * stride
            offsetB += panelCount * tileColumns * block.depth
        }
        self.offsetsA = offsetsA
        self.offsetsB = offsetsB
        packedA = GrowableFloatBuffer(capacity: offsetA)
        packedB = GrowableFloatBuffer(capacity: offsetB)
        let lda = a.elementsPerRow, ldb = b.elementsPerRow
        for (index, block) in depthBlocks.enumerated() {
            PackedMatrixMultiply.packB(b.data, ldb: ldb, transposed: transposeB, depthOffset: block.first,
                                       depth: block.depth, n: n, into: packedB.pointer + offsetsB[index])
            for rowBlock in 0..<rowBlockCount {
                let row = rowBlock * tileRows
                PackedMatrixMultiply.packA(a.data, lda: lda, m: m, transposed: transposeA, row: row,
                                           rows: min(tileRows, m - row), depthOffset: block.first, depth: block.depth,
                                           into: packedA.pointer + offsetsA[index] + rowBlock * rowBlockStrides[index])
            }
        }
    }

    /// `C[rows of rowBlocks] ← op(A)·op(B)` for those rows (all of them by default); `c` must be `m × n`.
    /// Disjoint ranges of row blocks write disjoint rows of C, so lanes may share one product.
    public func multiply(into c: Tensor, rowBlocks: Range<Int>? = nil) throws(TensorError) {
        guard c.rank == 2, c.shape[0] == m, c.shape[1] == n else {
            throw .shapeMismatch(operation: "pre-packed matrix product output", lhs: [m, n], rhs: c.shape,
                                 expectation: "the output must have shape [\(m), \(n)] (rows of op(A), columns of op(B))")
        }
        let range = rowBlocks ?? 0..<rowBlockCount
        guard range.lowerBound >= 0, range.upperBound <= rowBlockCount else {
            throw .invalidArgument(operation: "pre-packed matrix product",
                                   message: "row blocks \(range) lie outside 0..<\(rowBlockCount)")
        }
        let tileRows = PackedMatrixMultiply.rowsPerTile, tileColumns = PackedMatrixMultiply.columnsPerTile
        for (index, block) in depthBlocks.enumerated() {
            // Panels in chunks that fit the L2 budget, as the packing engine does: a chunk stays in L2
            // while every row block passes over it.
            let panelsPerChunk = max(1, min(panelCount, PackedMatrixMultiply.packedChunkBudget / (tileColumns * block.depth)))
            var firstPanel = 0
            while firstPanel < panelCount {
                let chunkPanels = min(panelsPerChunk, panelCount - firstPanel)
                let chunkColumn = firstPanel * tileColumns
                let chunkB = packedB.pointer + offsetsB[index] + firstPanel * tileColumns * block.depth
                for rowBlock in range {
                    let row = rowBlock * tileRows
                    PackedMatrixMultiply.multiplyRowBlock(
                        UnsafePointer(packedA.pointer + offsetsA[index] + rowBlock * rowBlockStrides[index]),
                        depth: block.depth, packedB: chunkB, panels: chunkPanels,
                        c: c.data + row * n + chunkColumn, ldc: n, rows: min(tileRows, m - row),
                        n: n - chunkColumn, alpha: 1, beta: index == 0 ? 0 : 1)
                }
                firstPanel += chunkPanels
            }
        }
    }
}
