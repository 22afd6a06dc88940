import Foundation
import Testing
@testable import Tensors

/// `PrepackedMatrixProduct`: bitwise the packing engine's result, whole or split by row blocks, on edge
/// shapes (partial tiles and panels, two depth blocks) and all four transpose combinations.
struct PrepackedMatrixProductTests {
    static func random(_ shape: [Int], seed: UInt64) throws -> Tensor {
        let tensor = try Tensor(zeros: shape)
        var stream = RandomStream(seed: seed, purpose: "prepacked-product-test")
        stream.fillNormal(tensor)
        return tensor
    }

    /// (13, 353, 384): one depth block of 384, 10 panels per L2 chunk, so 11 panels make two chunks.
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (13, 33, 7), (12, 32, 16), (37, 70, 400), (5, 2, 800), (13, 353, 384)]

    @Test("equals the packing engine bitwise (all transposes, edge shapes, two depth blocks)",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func equalsPackingEngine(transposes: (Bool, Bool)) throws {
        let (transposeA, transposeB) = transposes
        for (index, shape) in Self.shapes.enumerated() {
            let a = try Self.random(transposeA ? [shape.k, shape.m] : [shape.m, shape.k], seed: UInt64(2 * index))
            let b = try Self.random(transposeB ? [shape.n, shape.k] : [shape.k, shape.n], seed: UInt64(2 * index + 1))
            let expected = try Tensor(zeros: [shape.m, shape.n])
            try matmul(a, transposeA: transposeA, b, transposeB: transposeB, into: expected, engine: .packedSIMD)
            let product = try PrepackedMatrixProduct(a, transposeA: transposeA, b, transposeB: transposeB)
            #expect(product.rowBlockCount == (shape.m + 11) / 12)
            let result = try Tensor(zeros: [shape.m, shape.n])
            result.fill(.nan)   // β = 0: C is never read
            try product.multiply(into: result)
            #expect(result.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "shape \(shape), op(A) \(transposeA), op(B) \(transposeB)")
            // The operands were copied: changing them afterwards changes nothing.
            a.fill(0)
            try product.multiply(into: result)
            #expect(result.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern))
        }
    }

    @Test("is close to OpenBLAS (the packing engine itself could be wrong)")
    func agreesWithOpenBLAS() throws {
        let a = try Self.random([37, 400], seed: 11), b = try Self.random([70, 400], seed: 12)
        let blas = try Tensor(zeros: [37, 70])
        try matmul(a, b, transposeB: true, into: blas, engine: .openBLAS)
        let result = try Tensor(zeros: [37, 70])
        try PrepackedMatrixProduct(a, b, transposeB: true).multiply(into: result)
        let worst = zip(result.scalars, blas.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-3)   // |C| ~ 20; Float sums of 400 terms in another order
    }

    @Test("row-block ranges compose: two halves write exactly the whole result, and only their rows")
    func rowBlocksCompose() throws {
        let a = try Self.random([50, 64], seed: 21), b = try Self.random([64, 40], seed: 22)
        let product = try PrepackedMatrixProduct(a, b)
        let whole = try Tensor(zeros: [50, 40])
        try product.multiply(into: whole)
        let split = try Tensor(zeros: [50, 40])
        split.fill(.nan)
        try product.multiply(into: split, rowBlocks: 0..<2)
        #expect(split.scalars[0..<(24 * 40)].allSatisfy { !$0.isNaN })
        #expect(split.scalars[(24 * 40)...].allSatisfy { $0.isNaN })
        try product.multiply(into: split, rowBlocks: 2..<product.rowBlockCount)
        #expect(split.scalars.map(\.bitPattern) == whole.scalars.map(\.bitPattern))
    }

    @Test("bad shapes and ranges are refused, naming what was expected")
    func refusesBadInput() throws {
        let a = try Self.random([4, 5], seed: 1), b = try Self.random([6, 3], seed: 2)
        #expect(throws: TensorError.self) { try PrepackedMatrixProduct(a, b) }
        do {
            _ = try PrepackedMatrixProduct(a, b)
        } catch {
            #expect("\(error)".contains("5 columns") && "\(error)".contains("6 rows"))
        }
        let product = try PrepackedMatrixProduct(a, try Self.random([5, 3], seed: 3))
        do {
            try product.multiply(into: try Tensor(zeros: [3, 4]))
            Issue.record("a wrong output shape was accepted")
        } catch {
            #expect("\(error)".contains("[4, 3]"))
        }
        #expect(throws: TensorError.self) { try product.multiply(into: try Tensor(zeros: [4, 3]), rowBlocks: 0..<2) }
        #expect(throws: TensorError.self) { try PrepackedMatrixProduct(try Tensor(zeros: [0, 5]), try Self.random([5, 3], seed: 4)) }
    }
}
