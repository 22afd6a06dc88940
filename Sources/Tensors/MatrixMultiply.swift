import COpenBLAS

/// A row-major matrix inside some buffer: `rows × columns` elements, consecutive rows `stride`
/// elements apart (`stride ≥ columns`). Views let layers multiply a prefix of a batch, a column block,
/// or an im2col buffer without copying.
public struct MatrixView {
    public var base: UnsafeMutablePointer<Float>
    public var rows: Int
    public var columns: Int
    public var stride: Int

    public init(base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.stride = stride ?? columns
    }

    /// The tensor seen as a matrix of `tensor.rows × tensor.elementsPerRow`.
    public init(_ tensor: Tensor) {
        self.init(base: tensor.data, rows: tensor.rows, columns: tensor.elementsPerRow)
    }

    /// The first `count` rows of the tensor, seen as a matrix.
    public init(_ tensor: Tensor, leadingRows count: Int) {
        self.init(base: tensor.data, rows: count, columns: tensor.elementsPerRow)
    }

    var shape: [Int] { [rows, columns] }
}

/// General matrix product (BLAS level-3 `sgemm`):
///
///     C ← α · op(A) · op(B) + β · C,   op(X) = X or Xᵀ
///
/// with op(A) of shape m × k, op(B) of shape k × n and C of shape m × n. All four transpose
/// combinations are supported; with β = 0, C is not read. `engine` picks the implementation: by
/// default OpenBLAS `cblas_sgemm`, or one of the Swift SIMD kernels for the few shapes where
/// ``MatrixProductEngine/preferred(m:n:k:transposeA:transposeB:)`` records that it measured faster.
/// Throws, naming both shapes, when the inner dimensions or the output shape do not agree, and when
/// ``MatrixProductEngine/narrowSIMD`` is asked for more than 4 output columns.
public func gemm(
    _ a: MatrixView, transposeA: Bool = false,
    _ b: MatrixView, transposeB: Bool = false,
    into c: MatrixView, alpha: Float = 1, beta: Float = 0,
    engine: MatrixProductEngine = .automatic
) throws(TensorError) {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let kB = transposeB ? b.columns : b.rows
    let n = transposeB ? b.rows : b.columns
    guard k == kB else {
        throw .shapeMismatch(
            operation: "matrix product\(transposeA ? " Aᵀ" : " A")·\(transposeB ? "Bᵀ" : "B")",
            lhs: a.shape, rhs: b.shape,
            expectation: "op(A) has \(k) columns but op(B) has \(kB) rows; they must be equal")
    }
    guard c.rows == m, c.columns == n else {
        throw .shapeMismatch(
            operation: "matrix product output", lhs: [m, n], rhs: c.shape,
            expectation: "the output must have shape [\(m), \(n)] (rows of op(A), columns of op(B))")
    }
    guard a.stride >= a.columns, b.stride >= b.columns, c.stride >= c.columns else {
        throw .invalidArgument(operation: "matrix product", message: "a row stride is smaller than the row length")
    }
    if m == 0 || n == 0 { return }
    if k == 0 {
        scaleMatrix(c, by: beta)
        return
    }
    let chosen = engine == .automatic
        ? MatrixProductEngine.preferred(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB) : engine
    switch chosen {
    case .packedSIMD:
        PackedMatrixMultiply.multiply(
            m: m, n: n, k: k, a: a.base, lda: a.stride, transposeA: transposeA, b: b.base, ldb: b.stride,
            transposeB: transposeB, c: c.base, ldc: c.stride, alpha: alpha, beta: beta)
    case .narrowSIMD:
        guard n <= MatrixProductEngine.narrowColumnLimit else {
            throw .invalidArgument(
                operation: "matrix product (narrowSIMD engine)",
                message: "the narrow kernel computes at most \(MatrixProductEngine.narrowColumnLimit) output columns, but op(B) has \(n); use .automatic, .openBLAS or .packedSIMD")
        }
        NarrowMatrixMultiply.multiply(
            m: m, n: n, k: k, a: a.base, lda: a.stride, transposeA: transposeA, b: b.base, ldb: b.stride,
            transposeB: transposeB, c: c.base, ldc: c.stride, alpha: alpha, beta: beta)
    case .automatic, .openBLAS:
        openBLASProduct(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k,
                        alpha: alpha, beta: beta)
    }
}

/// `cblas_sgemm` on row-major views (shapes already checked).
private func openBLASProduct(
    _ a: MatrixView, transposeA: Bool, _ b: MatrixView, transposeB: Bool, into c: MatrixView,
    m: Int, n: Int, k: Int, alpha: Float, beta: Float
) {
    BLASRuntime.prepare()
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a.base, Int32(max(a.stride, 1)),
        b.base, Int32(max(b.stride, 1)),
        beta, c.base, Int32(max(c.stride, 1)))
}

/// `C ← α · op(A) · op(B) + β · C` on whole tensors seen as matrices (first axis = rows). With
/// `beta == 0` the output is resized to `[m, n]`; otherwise it must already have that shape. `engine`
/// as in ``gemm(_:transposeA:_:transposeB:into:alpha:beta:engine:)``.
public func matmul(
    _ a: Tensor, transposeA: Bool = false,
    _ b: Tensor, transposeB: Bool = false,
    into c: Tensor, alpha: Float = 1, beta: Float = 0,
    engine: MatrixProductEngine = .automatic
) throws(TensorError) {
    guard a.rank == 2, b.rank == 2 else {
        throw .shapeMismatch(operation: "matmul", lhs: a.shape, rhs: b.shape, expectation: "both operands must be matrices (rank 2)")
    }
    let m = transposeA ? a.shape[1] : a.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    if beta == 0 {
        let kA = transposeA ? a.shape[0] : a.shape[1]
        let kB = transposeB ? b.shape[1] : b.shape[0]
        guard kA == kB else {
            throw .shapeMismatch(
                operation: "matmul\(transposeA ? " Aᵀ" : " A")·\(transposeB ? "Bᵀ" : "B")", lhs: a.shape, rhs: b.shape,
                expectation: "op(A) has \(kA) columns but op(B) has \(kB) rows; they must be equal")
        }
        try c.resize(rows: m, columns: n)
    }
    try gemm(MatrixView(a), transposeA: transposeA, MatrixView(b), transposeB: transposeB,
             into: MatrixView(c), alpha: alpha, beta: beta, engine: engine)
}

/// The product `op(A)·op(B)` as a new tensor.
public func matmul(_ a: Tensor, transposeA: Bool = false, _ b: Tensor, transposeB: Bool = false) throws(TensorError) -> Tensor {
    let result = try Tensor(zeros: [0, 0])
    try matmul(a, transposeA: transposeA, b, transposeB: transposeB, into: result)
    return result
}

private func scaleMatrix(_ c: MatrixView, by beta: Float) {
    for row in 0..<c.rows {
        let line = c.base + row * c.stride
        for column in 0..<c.columns { line[column] = beta == 0 ? 0 : beta * line[column] }
    }
}
