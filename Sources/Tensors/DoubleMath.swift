import COpenBLAS
import Foundation

/// Double-precision helpers for ground-truth work (exact solutions, metrics, statistics), where
/// `Float` rounding would blur the quantity being measured.
public enum DoubleMath {
    /// `C ← α · op(A) · op(B) + β · C` through `cblas_dgemm`, row-major; `A` is `rowsA × columnsA`,
    /// `B` is `rowsB × columnsB`, `C` is `m × n`. Throws when the shapes do not fit.
    public static func gemm(
        _ a: UnsafePointer<Double>, rowsA: Int, columnsA: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Double>, rowsB: Int, columnsB: Int, transposeB: Bool = false,
        into c: UnsafeMutablePointer<Double>, alpha: Double = 1, beta: Double = 0
    ) throws(TensorError) {
        let m = transposeA ? columnsA : rowsA, k = transposeA ? rowsA : columnsA
        let kB = transposeB ? columnsB : rowsB, n = transposeB ? rowsB : columnsB
        guard k == kB else {
            throw .shapeMismatch(operation: "double matrix product", lhs: [rowsA, columnsA], rhs: [rowsB, columnsB],
                                 expectation: "op(A) has \(k) columns but op(B) has \(kB) rows; they must be equal")
        }
        if m == 0 || n == 0 || k == 0 {
            for i in 0..<(m * n) where k == 0 { c[i] = beta == 0 ? 0 : beta * c[i] }  // β = 0: C is not read
            return
        }
        BLASRuntime.prepare()
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(columnsA, 1)), b, Int32(max(columnsB, 1)),
                    beta, c, Int32(max(n, 1)))
    }

    /// `log Σ exp(values[i])`, stable: the maximum is subtracted first. −∞ for an empty input.
    public static func logSumExp(_ values: UnsafeBufferPointer<Double>) -> Double {
        guard let maximum = values.max(), maximum.isFinite else { return values.max() ?? -.infinity }
        var total = 0.0
        for value in values { total += Foundation.exp(value - maximum) }
        return maximum + Foundation.log(total)
    }

    /// `log Σ exp(values[i])` for an array.
    public static func logSumExp(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { logSumExp($0) }
    }

    /// Turns `values` into softmax weights in place (row maximum subtracted); returns log Σ exp.
    @discardableResult
    public static func softmaxInPlace(_ values: UnsafeMutableBufferPointer<Double>) -> Double {
        let logNormaliser = logSumExp(UnsafeBufferPointer(values))
        for i in values.indices { values[i] = Foundation.exp(values[i] - logNormaliser) }
        return logNormaliser
    }

    /// Squared Euclidean distance `Σ (a[i] − b[i])²` by direct differences, accumulated in Double
    /// (never as ‖a‖² + ‖b‖² − 2a·b, which cancels catastrophically for nearby points).
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count {
            let difference = Double(a[i]) - Double(b[i])
            total += difference * difference
        }
        return total
    }

    /// Mean and sample variance (ddof = 1) in one pass (Welford). Variance is 0 for fewer than two values.
    public static func meanAndVariance<S: Sequence>(_ values: S) -> (mean: Double, variance: Double, count: Int)
    where S.Element == Double {
        var count = 0, mean = 0.0, m2 = 0.0
        for value in values {
            count += 1
            let delta = value - mean
            mean += delta / Double(count)
            m2 += delta * (value - mean)
        }
        return (mean, count > 1 ? m2 / Double(count - 1) : 0, count)
    }

    /// Standard error of the mean, `√(variance / n)` with the sample variance (ddof = 1).
    public static func standardError<S: Sequence>(_ values: S) -> Double where S.Element == Double {
        let (_, variance, count) = meanAndVariance(values)
        return count > 1 ? (variance / Double(count)).squareRoot() : .nan
    }
}
