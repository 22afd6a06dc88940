/// The implementation that computes a matrix product `C ← α·op(A)·op(B) + β·C` in
/// ``gemm(_:transposeA:_:transposeB:into:alpha:beta:engine:)``.
public enum MatrixProductEngine: String, Sendable, CaseIterable {
    /// The engine ``preferred(m:n:k:transposeA:transposeB:)`` picks for the shape.
    case automatic
    /// OpenBLAS `cblas_sgemm` (Goto & van de Geijn, ACM TOMS 34(3), 2008; multithreaded for large products).
    case openBLAS
    /// The single-threaded register-blocked SIMD kernel (12 × 32 tile of C in 24 AVX-512 registers, op(A)
    /// and op(B) packed into cache-sized blocks; Sources/Tensors/PackedMatrixMultiply.swift).
    case packedSIMD
    /// The single-threaded SIMD kernel for at most ``narrowColumnLimit`` columns of C (dot products or
    /// column updates along the long dimensions; Sources/Tensors/NarrowMatrixMultiply.swift).
    case narrowSIMD

    /// The widest C (columns n) that ``narrowSIMD`` accepts.
    public static let narrowColumnLimit = NarrowMatrixMultiply.maximumColumns

    /// The engine used for a product of shape `m × k` times `k × n` when ``automatic`` is asked for.
    ///
    /// The rule depends on the shape alone — never on the thread count — so a product's result is the
    /// same bitwise whatever `BLASRuntime.threadCount` is. It leaves a product to OpenBLAS unless a
    /// Swift kernel measured ≥ 10 % faster on one core (`consistency-td-bench --per-product`, thread-CPU
    /// medians alternating with OpenBLAS 0.3.21 "Cooperlake", 2026-11-22):
    ///
    /// - ``narrowSIMD`` when `n ≤ 4`, op(B) = B and `m·k ≥ 2¹⁹` (op(A) ≥ 2 MB). Past that size OpenBLAS's
    ///   narrow products fall from ≈ 45 to ≈ 10 GFLOP/s; the narrow kernel measured 0.3–0.6× OpenBLAS's time
    ///   there (e.g. the last layer of the reference MLP with 2B = 2048 rows: 2048 × 2 × 256) and
    ///   1.1–2.9× below it, where OpenBLAS keeps the product.
    ///
    /// ``packedSIMD`` is never chosen automatically: on the products of the reference step it measured
    /// 1.00–1.04× OpenBLAS's time in total (2026-11-24, same method), both near the same ≈ 85 % of the
    /// FMA rate of a register-only loop — no shape class 10 % faster; ask for it explicitly to compare.
    public static func preferred(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> MatrixProductEngine {
        let depthTimesRows = m.multipliedReportingOverflow(by: k)
        let size = depthTimesRows.overflow ? Int.max : depthTimesRows.partialValue
        if n <= narrowColumnLimit && !transposeB && size >= 1 << 19 { return .narrowSIMD }
        return .openBLAS
    }
}
