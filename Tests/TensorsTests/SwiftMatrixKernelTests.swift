import Foundation
import PropertyBased
import Testing
@testable import Tensors

/// A row-major matrix with a row stride larger than its row length; the padding holds NaN, so a kernel
/// that reads (or accumulates) past a row's end produces NaN in its output.
final class PaddedMatrix: @unchecked Sendable {
    let rows: Int, columns: Int, stride: Int
    let storage: UnsafeMutablePointer<Float>

    init(rows: Int, columns: Int, padding: Int, seed: UInt64) {
        self.rows = rows
        self.columns = columns
        self.stride = columns + padding
        let count = max(rows * stride, 1)
        storage = .allocate(capacity: count)
        storage.initialize(repeating: .nan, count: count)
        var stream = RandomStream(seed: seed, purpose: "swift-matrix-kernel-test")
        for row in 0..<rows {
            for column in 0..<columns { storage[row * stride + column] = Float(stream.nextUniform() * 2 - 1) }
        }
    }

    deinit { storage.deallocate() }

    var view: MatrixView { MatrixView(base: storage, rows: rows, columns: columns, stride: stride) }
    subscript(row: Int, column: Int) -> Float { storage[row * stride + column] }
}

/// The exact product in Double and, per element, Σ_p |op(A)[i,p]·op(B)[p,j]| — the scale of the rounding
/// error any Float summation order can make (≤ k·2⁻²⁴ times it).
func referenceProduct(_ a: PaddedMatrix, transposeA: Bool, _ b: PaddedMatrix, transposeB: Bool)
    -> (value: [Double], magnitude: [Double], m: Int, n: Int) {
    let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    var value = [Double](repeating: 0, count: m * n), magnitude = value
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0, absolute = 0.0
            for p in 0..<k {
                let term = Double(transposeA ? a[p, i] : a[i, p]) * Double(transposeB ? b[j, p] : b[p, j])
                total += term
                absolute += abs(term)
            }
            value[i * n + j] = total
            magnitude[i * n + j] = absolute
        }
    }
    return (value, magnitude, m, n)
}

/// Runs `C ← α·op(A)·op(B) + β·C` on `engine` with padded (stride > columns) operands and checks every
/// element of C against the Double reference, and that C's padding is untouched. Returns the number of
/// elements that disagree (0 when correct).
func checkEngine(
    _ engine: MatrixProductEngine, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
    alpha: Float = 1, beta: Float = 0, seed: UInt64 = 1
) throws -> Int {
    let a = transposeA ? PaddedMatrix(rows: k, columns: m, padding: 3, seed: seed)
        : PaddedMatrix(rows: m, columns: k, padding: 5, seed: seed)
    let b = transposeB ? PaddedMatrix(rows: n, columns: k, padding: 2, seed: seed + 1)
        : PaddedMatrix(rows: k, columns: n, padding: 7, seed: seed + 1)
    let c = PaddedMatrix(rows: m, columns: n, padding: 1, seed: seed + 2)
    let before = (0..<(m * n)).map { Double(c[$0 / n, $0 % n]) }
    if beta == 0 { for i in 0..<m { for j in 0..<n { c.storage[i * c.stride + j] = .nan } } }
    try gemm(a.view, transposeA: transposeA, b.view, transposeB: transposeB, into: c.view,
             alpha: alpha, beta: beta, engine: engine)
    let reference = referenceProduct(a, transposeA: transposeA, b, transposeB: transposeB)
    var failures = 0
    for i in 0..<m {
        for j in 0..<n {
            let index = i * n + j
            let expected = Double(alpha) * reference.value[index] + (beta == 0 ? 0 : Double(beta) * before[index])
            let tolerance = 4 * Double(k + 2) * 0x1p-24 * (abs(Double(alpha)) * reference.magnitude[index] + abs(Double(beta) * before[index])) + 1e-30
            let got = Double(c[i, j])
            if !(abs(got - expected) <= tolerance) { failures += 1 }
        }
        if c.stride > n && !c[i, n].isNaN { failures += 1 }  // the padding must stay as it was
    }
    return failures
}

@Suite("Swift SIMD matrix kernels (packed 12 × 32 tile, narrow outputs) and their dispatch")
struct SwiftMatrixKernelTests {
    static let oddSizes = [1, 2, 15, 17, 66]

    @Test("the packed kernel agrees with a Double reference for all four transpose combinations and odd shapes",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func packedKernelMatchesReference(transposeA: Bool, transposeB: Bool) throws {
        for m in Self.oddSizes + [13, 25] {
            for n in Self.oddSizes + [33] {
                for k in Self.oddSizes {
                    let failures = try checkEngine(.packedSIMD, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                                   seed: UInt64(m * 10_000 + n * 100 + k))
                    #expect(failures == 0, "packed \(m)×\(n)×\(k) Aᵀ \(transposeA) Bᵀ \(transposeB)")
                }
            }
        }
    }

    @Test("the packed kernel splits a deep inner dimension into blocks (k = 257, 800) without losing a term")
    func packedKernelDeepInnerDimension() throws {
        for (m, n, k) in [(13, 33, 257), (25, 64, 800), (12, 32, 385)] {
            for combination in 0..<4 {
                let failures = try checkEngine(.packedSIMD, m: m, n: n, k: k, transposeA: combination & 1 != 0,
                                               transposeB: combination & 2 != 0, alpha: 0.5, beta: 1.5)
                #expect(failures == 0, "packed \(m)×\(n)×\(k) combination \(combination)")
            }
        }
    }

    @Test("the packed kernel cuts wide outputs into L2-sized chunks of panels (n = 700, 1100) without losing a column")
    func packedKernelColumnChunks() throws {
        // k = 400 gives blocks of 200, so a chunk holds 2¹⁷ / (32·200) = 20 panels = 640 columns: n = 700 is
        // two chunks, the second partial; n = 1100 ends in a partial panel of 12 columns.
        #expect(PackedMatrixMultiply.packedChunkBudget / (PackedMatrixMultiply.columnsPerTile * 200) == 20)
        for (m, n, k) in [(13, 700, 400), (26, 1100, 400)] {
            for combination in 0..<4 {
                let failures = try checkEngine(.packedSIMD, m: m, n: n, k: k, transposeA: combination & 1 != 0,
                                               transposeB: combination & 2 != 0, alpha: 0.5, beta: 1.5)
                #expect(failures == 0, "packed \(m)×\(n)×\(k) combination \(combination)")
            }
        }
    }

    @Test("the 16 × 16 register transpose puts element (r, c) at (c, r)")
    func registerTranspose() {
        var rows: [FloatVector] = (0..<16).map { r in FloatVector((0..<16).map { Float(r * 16 + $0) }) }
        let block = PackedMatrixMultiply.transpose((
            rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6], rows[7],
            rows[8], rows[9], rows[10], rows[11], rows[12], rows[13], rows[14], rows[15]))
        rows = [block.0, block.1, block.2, block.3, block.4, block.5, block.6, block.7,
                block.8, block.9, block.10, block.11, block.12, block.13, block.14, block.15]
        for r in 0..<16 {
            for c in 0..<16 { #expect(rows[r][c] == Float(c * 16 + r), "(\(r), \(c))") }
        }
    }

    @Test("the narrow kernel agrees with a Double reference for n ≤ 4, all transposes, odd m and k",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func narrowKernelMatchesReference(transposeA: Bool, transposeB: Bool) throws {
        for n in 1...4 {
            for m in [1, 7, 8, 9, 16, 17, 63, 64, 65, 130] {
                for k in [1, 2, 15, 16, 17, 66, 257] {
                    let failures = try checkEngine(.narrowSIMD, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                                   seed: UInt64(m * 10_000 + n * 100 + k))
                    #expect(failures == 0, "narrow \(m)×\(n)×\(k) Aᵀ \(transposeA) Bᵀ \(transposeB)")
                }
            }
        }
    }

    @Test("α scales and β accumulates in both kernels; β = 0 ignores NaN already in C, as BLAS does")
    func alphaBetaAndNaNInOutput() throws {
        for engine in [MatrixProductEngine.packedSIMD, .narrowSIMD] {
            let n = engine == .narrowSIMD ? 3 : 35
            for (alpha, beta) in [(Float(1), Float(0)), (2, 0), (-0.5, 1), (2, 0.25)] {
                for combination in 0..<4 {
                    let failures = try checkEngine(engine, m: 29, n: n, k: 19, transposeA: combination & 1 != 0,
                                                   transposeB: combination & 2 != 0, alpha: alpha, beta: beta)
                    #expect(failures == 0, "\(engine) α \(alpha) β \(beta) combination \(combination)")
                }
            }
        }
    }

    /// The Swift kernels never call OpenBLAS, so its thread count cannot change their bits; the test must
    /// not change that process-wide count either (other tests compare two runs of a training while it runs).
    @Test("the Swift kernels give bitwise the same output: repeated and on another thread")
    func bitwiseReproducible() async throws {
        for (engine, m, n, k) in [(MatrixProductEngine.packedSIMD, 40, 64, 70), (.narrowSIMD, 70, 2, 90),
                                  (.automatic, 2048, 2, 256), (.automatic, 1024, 4, 512)] {
            let a = PaddedMatrix(rows: m, columns: k, padding: 0, seed: 3), b = PaddedMatrix(rows: k, columns: n, padding: 0, seed: 4)
            @Sendable func product() throws -> [UInt32] {
                let c = PaddedMatrix(rows: m, columns: n, padding: 0, seed: 5)
                try gemm(a.view, b.view, into: c.view, engine: engine)
                return (0..<(m * n)).map { c.storage[$0].bitPattern }
            }
            let first = try product()
            #expect(try product() == first)
            let onAnotherThread = try await Task.detached { try product() }.value
            #expect(onAnotherThread == first)
        }
    }

    @Test("the dispatch rule: narrow from m·k = 2¹⁹ with n ≤ 4 and op(B) = B; everything else, packed-friendly shapes included, on OpenBLAS")
    func dispatchBoundary() {
        #expect(MatrixProductEngine.preferred(m: 2048, n: 2, k: 256, transposeA: false, transposeB: false) == .narrowSIMD)
        #expect(MatrixProductEngine.preferred(m: 2047, n: 2, k: 256, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 1024, n: 4, k: 512, transposeA: true, transposeB: false) == .narrowSIMD)
        #expect(MatrixProductEngine.preferred(m: 1024, n: 5, k: 512, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 1024, n: 2, k: 512, transposeA: false, transposeB: true) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 64, k: 512, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 32, k: 256, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 48, k: 256, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 64, k: 256, transposeA: true, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 64, k: 256, transposeA: false, transposeB: true) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: 512, n: 256, k: 256, transposeA: false, transposeB: false) == .openBLAS)
        #expect(MatrixProductEngine.preferred(m: Int.max / 2, n: 2, k: 4, transposeA: false, transposeB: false) == .narrowSIMD)
    }

    @Test("automatic gives bitwise the chosen engine's result on both sides of the boundary")
    func automaticRoutesToTheChosenEngine() throws {
        for (m, n, k) in [(2048, 2, 256), (2047, 2, 256), (512, 64, 512), (513, 64, 512)] {
            let a = PaddedMatrix(rows: m, columns: k, padding: 1, seed: 8), b = PaddedMatrix(rows: k, columns: n, padding: 1, seed: 9)
            let chosen = MatrixProductEngine.preferred(m: m, n: n, k: k, transposeA: false, transposeB: false)
            let automatic = PaddedMatrix(rows: m, columns: n, padding: 0, seed: 1)
            let explicit = PaddedMatrix(rows: m, columns: n, padding: 0, seed: 1)
            try gemm(a.view, b.view, into: automatic.view)
            try gemm(a.view, b.view, into: explicit.view, engine: chosen)
            let same = (0..<(m * n)).allSatisfy { automatic.storage[$0].bitPattern == explicit.storage[$0].bitPattern }
            #expect(same, "\(m)×\(n)×\(k) → \(chosen)")
        }
    }

    @Test("asking the narrow kernel for more than 4 output columns throws and names the limit")
    func narrowKernelRejectsWideOutput() throws {
        let a = try Tensor(zeros: [3, 2]), b = try Tensor(zeros: [2, 5]), c = try Tensor(zeros: [3, 5])
        do {
            try matmul(a, b, into: c, engine: .narrowSIMD)
            Issue.record("a 5-column product on the narrow kernel must fail")
        } catch {
            #expect(error.description.contains("at most 4"))
            #expect(error.description.contains("5"))
        }
    }

    @Test("random shapes and transposes: both kernels agree with the Double reference")
    func randomShapesProperty() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...70), Gen.int(in: 1...70), Gen.int(in: 1...90), Gen.int(in: 0...7)) { m, n, k, choice in
            let engine: MatrixProductEngine = choice & 4 != 0 ? .narrowSIMD : .packedSIMD
            let columns = engine == .narrowSIMD ? 1 + n % 4 : n
            let failures = try! checkEngine(engine, m: m, n: columns, k: k, transposeA: choice & 1 != 0, transposeB: choice & 2 != 0,
                                            alpha: 1.5, beta: choice % 3 == 0 ? 0 : 0.5, seed: UInt64(m * 7 + n * 11 + k))
            #expect(failures == 0, "\(engine) \(m)×\(columns)×\(k) choice \(choice)")
        }
    }
}
