import Foundation
import Tensors

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--per-product`: every matrix product of the reference step timed on its own, on OpenBLAS, on the
/// packed SIMD kernel and (for n ≤ 4 output columns) on the narrow SIMD kernel, alternating engine by
/// engine so all see the same machine load.
///
/// Time is the calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which a shared machine disturbs
/// less than wall-clock time; each sample is the mean of `batch` calls and the median over
/// `repetitions` samples is reported, with GFLOP/s = 2·m·n·k / time.
struct ProductProfile {
    struct Row {
        let index: Int, role: String
        let m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
        let openBLASMilliseconds: Double, packedMilliseconds: Double
        /// nil when n exceeds the narrow kernel's limit.
        let narrowMilliseconds: Double?
        let automatic: MatrixProductEngine

        var automaticMilliseconds: Double {
            switch automatic {
            case .packedSIMD: packedMilliseconds
            case .narrowSIMD: narrowMilliseconds ?? openBLASMilliseconds
            case .automatic, .openBLAS: openBLASMilliseconds
            }
        }

        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        var operation: String { (transposeA ? "Aᵀ" : "A") + "·" + (transposeB ? "Bᵀ" : "B") }
    }

    /// The role of each product of ``ConsistencyTrainingStep/matrixProducts()``, in order: the forward of
    /// every layer, then per layer from the last: dW = xᵀ·dz and (except the first layer) dx = dz·Wᵀ.
    static func roles(layerCount: Int) -> [String] {
        var roles = (0..<layerCount).map { "forward \($0)" }
        for layer in (0..<layerCount).reversed() {
            roles.append("dW \(layer)")
            if layer > 0 { roles.append("dx \(layer)") }
        }
        return roles
    }

    static func threadMilliseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) * 1e-6
    }

    static func measure(
        _ products: [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool)], roles: [String],
        repetitions: Int, batch: Int = 5
    ) throws -> [Row] {
        var rows: [Row] = []
        for (index, product) in products.enumerated() {
            let a = try Tensor(zeros: product.transposeA ? [product.k, product.m] : [product.m, product.k])
            let b = try Tensor(zeros: product.transposeB ? [product.n, product.k] : [product.k, product.n])
            let c = try Tensor(zeros: [product.m, product.n])
            var stream = RandomStream(seed: 7, purpose: "per-product", index: UInt64(index))
            stream.fillNormal(a)
            stream.fillNormal(b)
            let beta: Float = product.transposeA ? 1 : 0   // the step accumulates weight gradients
            func time(_ engine: MatrixProductEngine) throws -> Double {
                let start = threadMilliseconds()
                for _ in 0..<batch {
                    try matmul(a, transposeA: product.transposeA, b, transposeB: product.transposeB, into: c,
                               beta: beta, engine: engine)
                }
                return (threadMilliseconds() - start) / Double(batch)
            }
            let narrowFits = product.n <= MatrixProductEngine.narrowColumnLimit
            _ = try time(.openBLAS)
            _ = try time(.packedSIMD)
            if narrowFits { _ = try time(.narrowSIMD) }
            var blas: [Double] = [], packed: [Double] = [], narrow: [Double] = []
            for _ in 0..<repetitions {
                blas.append(try time(.openBLAS))
                packed.append(try time(.packedSIMD))
                if narrowFits { narrow.append(try time(.narrowSIMD)) }
            }
            rows.append(Row(index: index, role: index < roles.count ? roles[index] : "",
                            m: product.m, n: product.n, k: product.k,
                            transposeA: product.transposeA, transposeB: product.transposeB,
                            openBLASMilliseconds: Measurement.percentile(blas, 0.5),
                            packedMilliseconds: Measurement.percentile(packed, 0.5),
                            narrowMilliseconds: narrowFits ? Measurement.percentile(narrow, 0.5) : nil,
                            automatic: MatrixProductEngine.preferred(m: product.m, n: product.n, k: product.k,
                                                                     transposeA: product.transposeA,
                                                                     transposeB: product.transposeB)))
        }
        return rows
    }

    static let header = "  #  role          m      n      k  op     OpenBLAS ms  GFLOP/s   packed ms  GFLOP/s  packed÷BLAS   narrow ms  narrow÷BLAS  automatic"

    static func line(_ row: Row) -> String {
        let shape = String(format: "%3d  %-9@ %6d %6d %6d  ", row.index, row.role as NSString, row.m, row.n, row.k)
            + row.operation.padding(toLength: 5, withPad: " ", startingAt: 0)
        let blas = String(format: " %11.4f %8.1f", row.openBLASMilliseconds, row.flops / row.openBLASMilliseconds * 1e-6)
        let packed = String(format: " %11.4f %8.1f", row.packedMilliseconds, row.flops / row.packedMilliseconds * 1e-6)
        let ratio = String(format: " %12.2f", row.packedMilliseconds / row.openBLASMilliseconds)
        let narrow = row.narrowMilliseconds.map { String(format: " %11.4f %12.2f  ", $0, $0 / row.openBLASMilliseconds) }
            ?? String(repeating: " ", count: 27)
        return shape + blas + packed + ratio + narrow + row.automatic.rawValue
    }

    static func json(_ row: Row, dimension: Int, width: Int, batchSize: Int, threads: Int) -> String {
        "{\"D\": \(dimension), \"W\": \(width), \"B\": \(batchSize), \"threads\": \(threads), \"index\": \(row.index), "
            + "\"role\": \"\(row.role)\", \"m\": \(row.m), \"n\": \(row.n), \"k\": \(row.k), "
            + "\"transpose_a\": \(row.transposeA), \"transpose_b\": \(row.transposeB), "
            + "\"openblas_ms\": \(row.openBLASMilliseconds), \"packed_ms\": \(row.packedMilliseconds), "
            + "\"narrow_ms\": \(row.narrowMilliseconds.map { "\($0)" } ?? "null"), "
            + "\"automatic\": \"\(row.automatic.rawValue)\"}"
    }
}
