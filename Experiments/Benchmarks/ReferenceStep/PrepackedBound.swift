import Foundation
import NeuralNetworks
import Tensors

/// The "pre-packed" column: the reference step's matrix products on the toolkit's 12 × 32 AVX-512
/// kernel with every operand packed beforehand (``PrepackedMatrixProduct``), in the step's order, each
/// product on its own buffers (so operands come from L2 or L3 as they do in the step), the lanes meeting
/// at a barrier after each product as a step's dependent products must.
///
/// This is the matrix-product time of an engine that never packs: weights kept packed across steps and
/// activations written packed by the epilogues. It leaves out everything else a step does (element-wise
/// work, the loss, Adam, and the layout changes such an engine would still need between the forward's
/// and the weight gradients' operands), so no engine that runs this kernel with the step's data flow
/// (each product reading what the previous one left in L2 or L3) runs the step faster: a row whose
/// pre-packed time already exceeds a target cannot meet it that way. An engine that tiled the batch through
/// all layers so every operand stays in L2 could do better, at most the kernel's in-L2 rate (measured at
/// 97 % of a register-only FMA loop with a stand-alone assembly version of the kernel).
///
/// A product with fewer than 32 output columns and more rows than columns (the last layer's forward and
/// weight gradient at small D) is computed transposed, Cᵀ = op(B)ᵀ·op(A)ᵀ — the same FLOPs with less
/// padding, as an engine free to choose its layouts would. Rows of C are split between lanes by blocks of
/// twelve (``ParallelLanes/share(of:lane:of:)``).
final class PrepackedBound: LaneWork {
    private let products: [PrepackedMatrixProduct]
    private let outputs: [Tensor]
    private let lanes: ParallelLanes?

    init(_ shapes: [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool)], threads: Int) throws {
        var products: [PrepackedMatrixProduct] = [], outputs: [Tensor] = []
        var stream = RandomStream(seed: 1, purpose: "prepacked-bound")
        for shape in shapes {
            let flip = shape.n < PrepackedMatrixProduct.columnsPerTile && shape.m > shape.n
            // Cᵀ = op(B)ᵀ·op(A)ᵀ: A' = B with transposeA' = !transposeB, B' = A with transposeB' = !transposeA.
            let (m, n) = flip ? (shape.n, shape.m) : (shape.m, shape.n)
            let (transposeA, transposeB) = flip ? (!shape.transposeB, !shape.transposeA) : (shape.transposeA, shape.transposeB)
            let a = try Tensor(zeros: transposeA ? [shape.k, m] : [m, shape.k])
            let b = try Tensor(zeros: transposeB ? [n, shape.k] : [shape.k, n])
            stream.fillNormal(a)
            stream.fillNormal(b)
            products.append(try PrepackedMatrixProduct(a, transposeA: transposeA, b, transposeB: transposeB))
            outputs.append(try Tensor(zeros: [m, n]))
        }
        self.products = products
        self.outputs = outputs
        lanes = threads > 1 ? ParallelLanes(laneCount: threads) : nil
    }

    func run(lane: Int, of laneCount: Int) {
        for (index, (product, output)) in zip(products, outputs).enumerated() {
            let rowBlocks = ParallelLanes.share(of: product.rowBlockCount, lane: lane, of: laneCount)
            do {
                try product.multiply(into: output, rowBlocks: rowBlocks)
            } catch {
                fatalError("pre-packed bound: \(error)")   // shapes were fixed at construction
            }
            if index < products.count - 1 { lanes?.barrier() }
        }
    }

    /// Wall-clock milliseconds of `repetitions` passes over all products, after 5 untimed ones.
    func time(repetitions: Int) -> [Double] {
        var times: [Double] = []
        times.reserveCapacity(repetitions)
        for repetition in 0..<(repetitions + 5) {
            let start = DispatchTime.now().uptimeNanoseconds
            if let lanes { lanes.run(self) } else { run(lane: 0, of: 1) }
            if repetition >= 5 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        return times
    }
}
