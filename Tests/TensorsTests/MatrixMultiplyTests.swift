import PropertyBased
import Testing
import Tensors

/// op(A)·op(B) computed naively in Double.
func naiveProduct(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool) -> [Double] {
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let n = transposeB ? b.shape[0] : b.shape[1]
    var result = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0
            for p in 0..<k {
                let left = transposeA ? a[p, i] : a[i, p]
                let right = transposeB ? b[j, p] : b[p, j]
                total += Double(left) * Double(right)
            }
            result[i * n + j] = total
        }
    }
    return result
}

func randomTensor(_ shape: [Int], seed: UInt64) throws -> Tensor {
    let tensor = try Tensor(zeros: shape)
    var stream = RandomStream(seed: seed, purpose: "test-tensor")
    stream.fillNormal(tensor)
    return tensor
}

@Suite("Matrix products through cblas_sgemm")
struct MatrixMultiplyTests {
    @Test("all four transpose combinations agree with a naive product, for random shapes")
    func allTransposeCombinations() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...17), Gen.int(in: 1...17), Gen.int(in: 1...17), Gen.int(in: 0...3)) { m, n, k, combination in
            let transposeA = combination & 1 != 0, transposeB = combination & 2 != 0
            let a = try! randomTensor(transposeA ? [k, m] : [m, k], seed: UInt64(m * 1000 + k))
            let b = try! randomTensor(transposeB ? [n, k] : [k, n], seed: UInt64(n * 1000 + k + 7))
            let c = try! matmul(a, transposeA: transposeA, b, transposeB: transposeB)
            #expect(c.shape == [m, n])
            let expected = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
            for i in 0..<(m * n) { #expect(abs(Double(c[i]) - expected[i]) < 1e-4 * (1 + abs(expected[i]))) }
        }
    }

    @Test("alpha and beta scale and accumulate: C ← αAB + βC")
    func alphaBeta() throws {
        let a = try randomTensor([3, 4], seed: 1), b = try randomTensor([4, 5], seed: 2)
        let c = try randomTensor([3, 5], seed: 3)
        let original = c.scalars
        try matmul(a, b, into: c, alpha: 2, beta: 0.5)
        let product = naiveProduct(a, transposeA: false, b, transposeB: false)
        for i in 0..<15 { #expect(abs(Double(c[i]) - (2 * product[i] + 0.5 * Double(original[i]))) < 1e-4) }
    }

    @Test("a product over the leading rows of a batch uses only those rows")
    func leadingRowView() throws {
        let a = try randomTensor([6, 3], seed: 4), b = try randomTensor([3, 2], seed: 5)
        let c = try Tensor(zeros: [4, 2])
        try gemm(MatrixView(a, leadingRows: 4), MatrixView(b), into: MatrixView(c))
        let full = naiveProduct(a, transposeA: false, b, transposeB: false)
        for i in 0..<8 { #expect(abs(Double(c[i]) - full[i]) < 1e-5) }
    }

    @Test("mismatched inner dimensions fail with a message naming both shapes")
    func mismatchNamesBothShapes() throws {
        let a = try Tensor(zeros: [2, 3]), b = try Tensor(zeros: [4, 5])
        do {
            _ = try matmul(a, b)
            Issue.record("a [2, 3] · [4, 5] product must fail")
        } catch {
            #expect(error.description.contains("[2, 3]"))
            #expect(error.description.contains("[4, 5]"))
        }
        let c = try Tensor(zeros: [3, 3])
        #expect(throws: TensorError.self) {
            try gemm(MatrixView(a), MatrixView(try Tensor(zeros: [3, 2])), into: MatrixView(c))
        }
        #expect(throws: TensorError.self) { try matmul(try Tensor(zeros: [2]), b) }
    }

    @Test("a zero inner dimension gives βC")
    func emptyInnerDimension() throws {
        let a = try Tensor(zeros: [2, 0]), b = try Tensor(zeros: [0, 3])
        let c = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        try matmul(a, b, into: c, beta: 2)
        #expect(c.scalars == [2, 4, 6, 8, 10, 12])
    }

    @Test("the double-precision product matches the naive one")
    func doubleProduct() throws {
        let a: [Double] = [1, 2, 3, 4, 5, 6], b: [Double] = [1, 0, -1, 2, 0.5, 3]
        var c = [Double](repeating: 0, count: 4)
        try DoubleMath.gemm(a, rowsA: 2, columnsA: 3, b, rowsB: 3, columnsB: 2, into: &c)
        let expected: [Double] = [0.5, 13, 2, 28]  // rows (1,2,3), (4,5,6) times columns (1,−1,½), (0,2,3)
        #expect(c == expected)
        #expect(throws: TensorError.self) { try DoubleMath.gemm(a, rowsA: 2, columnsA: 3, a, rowsB: 2, columnsB: 3, into: &c) }
    }

    @Test("an empty inner dimension gives β·C, and with β = 0 C is not read (NaN there becomes 0)")
    func doubleProductWithEmptyInnerDimension() throws {
        var c: [Double] = [.nan, 1, 2, 3]
        try DoubleMath.gemm([], rowsA: 2, columnsA: 0, [], rowsB: 0, columnsB: 2, into: &c)
        #expect(c == [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        try DoubleMath.gemm([], rowsA: 2, columnsA: 0, [], rowsB: 0, columnsB: 2, into: &c, beta: 2)
        #expect(c == [2, 4, 6, 8])
    }
}
