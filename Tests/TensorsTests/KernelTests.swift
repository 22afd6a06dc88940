import Foundation
import Testing
import Tensors

@Suite("Vectorised kernels")
struct KernelTests {
    /// Evenly spaced points in [lower, upper].
    func grid(_ lower: Float, _ upper: Float, count: Int) -> [Float] {
        (0..<count).map { lower + (upper - lower) * Float($0) / Float(count - 1) }
    }

    func mapped(_ input: [Float], _ body: (FloatVector) -> FloatVector) -> [Float] {
        var output = [Float](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                mapVectors(source.baseAddress!, target.baseAddress!, count: input.count, body)
            }
        }
        return output
    }

    @Test("fastExp is within 2 ulp of exp over the whole finite range")
    func exponentialAccuracy() {
        let inputs = grid(-87, 88.3, count: 100_003)  // not a multiple of 16: exercises the tail
        let outputs = mapped(inputs, fastExp)
        var worst = 0.0
        for (x, y) in zip(inputs, outputs) {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(y) - exact) / exact)
        }
        #expect(worst < 2.5e-7, "worst relative error \(worst)")
        #expect(mapped([-1000, 1000], fastExp).allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test("fastLog has relative error below 3e-7 from the smallest normal to the largest float")
    func logarithmAccuracy() {
        var inputs = grid(1e-7, 1, count: 50_001) + grid(1, 1e6, count: 50_001)
        inputs += [Float.leastNormalMagnitude, 0x1p-24, 0.707_106_7, 0.707_106_8, 1, Float.greatestFiniteMagnitude]
        var worst = 0.0
        for (x, y) in zip(inputs, mapped(inputs, fastLog)) {
            let exact = Foundation.log(Double(x))
            worst = max(worst, abs(Double(y) - exact) / max(abs(exact), 1e-3))
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
    }

    @Test("fastSigmoid and fastTanh agree with their definitions")
    func sigmoidAndTanh() {
        let inputs = grid(-30, 30, count: 10_001)
        for (x, s) in zip(inputs, mapped(inputs, fastSigmoid)) {
            #expect(abs(Double(s) - 1 / (1 + Foundation.exp(-Double(x)))) < 2e-7)
        }
        for (x, t) in zip(inputs, mapped(inputs, fastTanh)) {
            #expect(abs(Double(t) - Foundation.tanh(Double(x))) < 3e-7)
        }
    }

    @Test("fastSinCos has absolute error below 1e-6 for |x| up to 2000")
    func sineCosineAccuracy() {
        let inputs = grid(-2000, 2000, count: 200_001)
        let sines = mapped(inputs) { fastSinCos($0).sin }
        let cosines = mapped(inputs) { fastSinCos($0).cos }
        var worst = 0.0
        for i in inputs.indices {
            worst = max(worst, abs(Double(sines[i]) - Foundation.sin(Double(inputs[i]))),
                        abs(Double(cosines[i]) - Foundation.cos(Double(inputs[i]))))
        }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
    }

    @Test("fused bias + SiLU and its backward match finite differences")
    func biasSiLU() {
        let rows = 3, columns = 21
        var matrix = grid(-6, 6, count: rows * columns)
        let bias = grid(-1, 1, count: columns)
        var output = [Float](repeating: 0, count: rows * columns), gate = output, gradient = output
        let upstream = grid(0.5, 2, count: rows * columns)
        Kernels.biasSiLU(matrix, bias: bias, rows: rows, columns: columns, output: &output, gate: &gate)
        var biasGradient = [Float](repeating: 1, count: columns)
        Kernels.siluBackward(outputGradient: upstream, gate: gate, output: output, inputGradient: &gradient,
                             rows: rows, columns: columns, biasGradient: &biasGradient)
        for c in 0..<columns {
            let columnSum = (0..<rows).reduce(Float(1)) { $0 + gradient[$1 * columns + c] }
            #expect(abs(biasGradient[c] - columnSum) < 1e-5)
        }
        func silu(_ z: Double) -> Double { z / (1 + Foundation.exp(-z)) }
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                let z = Double(matrix[i]) + Double(bias[c])
                #expect(abs(Double(output[i]) - silu(z)) < 1e-5)
                let derivative = (silu(z + 1e-5) - silu(z - 1e-5)) / 2e-5
                #expect(abs(Double(gradient[i]) - Double(upstream[i]) * derivative) < 1e-4)
            }
        }
        matrix[0] = 0  // silence "never mutated"
    }

    @Test("GELU and its backward match the tanh-approximation formula")
    func gelu() {
        let inputs = grid(-8, 8, count: 1_001)
        var output = [Float](repeating: 0, count: inputs.count), cache = output, gradient = output
        let upstream = [Float](repeating: 1, count: inputs.count)
        Kernels.gelu(inputs, output: &output, tanhCache: &cache, count: inputs.count)
        Kernels.geluBackward(outputGradient: upstream, input: inputs, tanhCache: cache, inputGradient: &gradient, count: inputs.count)
        func reference(_ z: Double) -> Double { 0.5 * z * (1 + Foundation.tanh(0.797_884_560_802_865_4 * (z + 0.044715 * z * z * z))) }
        for i in inputs.indices {
            let z = Double(inputs[i])
            #expect(abs(Double(output[i]) - reference(z)) < 2e-6)
            #expect(abs(Double(gradient[i]) - (reference(z + 1e-5) - reference(z - 1e-5)) / 2e-5) < 1e-4)
        }
    }

    @Test("allFinite finds one NaN, +∞ or −∞ at any position, in the vector body and the scalar tail, and accepts the largest finite values")
    func allFiniteAtEveryPosition() {
        for count in [0, 1, 15, 16, 17, 31, 32, 33, 100] {
            var values: [Float] = (0..<count).map { Float($0 % 7) * (($0 % 2 == 0) ? 1 : -1) * 1e37 }
            if count > 0 { values[count / 2] = Float.greatestFiniteMagnitude }
            #expect(Kernels.allFinite(values, count: count), "count \(count)")
            for position in 0..<count {
                for bad in [Float.nan, .infinity, -.infinity] {
                    var damaged = values
                    damaged[position] = bad
                    #expect(!Kernels.allFinite(damaged, count: count), "count \(count), \(bad) at \(position)")
                }
            }
        }
    }

    @Test("reductions: sums, squares, dot, column sums, finiteness")
    func reductions() {
        let x: [Float] = [1, -2, 3, -4, 5, 6]
        #expect(Kernels.sum(x, count: 6) == 9)
        #expect(Kernels.sumOfSquares(x, count: 6) == 91)
        #expect(Kernels.dot(x, x, count: 6) == 91)
        #expect(Kernels.maximumMagnitude(x, count: 6) == 6)
        var sums: [Float] = [10, 20, 30]
        Kernels.accumulateColumnSums(x, rows: 2, columns: 3, into: &sums)
        let expectedSums: [Float] = [7, 23, 39]
        #expect(sums == expectedSums)
        #expect(Kernels.allFinite(x, count: 6))
        #expect(!Kernels.allFinite([1, .nan, 2], count: 3))
        #expect(!Kernels.allFinite([1, .infinity], count: 2))
        #expect(Kernels.maximumMagnitude([1, .nan], count: 2).isNaN)
        #expect(Kernels.maximumMagnitude([.nan, 1], count: 2).isNaN)
        var y: [Float] = [1, 1, 1]
        Kernels.addScaled([1, 2, 3], scale: 2, into: &y, count: 3)
        #expect(y == [3, 5, 7])
    }

    /// Squares beyond Float's range used to make Σx² (and so a global gradient norm) +∞ for finite
    /// entries; the Double recomputation keeps it finite and exact to Double rounding.
    @Test("Σx² and Σab of finite entries whose Float squares overflow stay finite; NaN and ∞ still show")
    func reductionsBeyondFloatRange() {
        let big: [Float] = [2e19, -3e19, 1] + [Float](repeating: 0.5, count: 40)
        let expected = big.reduce(0.0) { $0 + Double($1) * Double($1) }  // the Float entries' exact squares
        let squares = Kernels.sumOfSquares(big, count: big.count)
        #expect(abs(squares - expected) <= 1e-12 * expected, "\(squares)")
        let run = [Float](repeating: 3e18, count: 64)     // each square fits; their Float lane sums do not
        #expect(abs(Kernels.sumOfSquares(run, count: 64) - 64 * 9e36) <= 1e-6 * 64 * 9e36)
        #expect(abs(Kernels.dot(big, big, count: big.count) - expected) <= 1e-12 * expected)
        let opposite = big.map { -$0 }
        #expect(abs(Kernels.dot(big, opposite, count: big.count) + expected) <= 1e-12 * expected)
        #expect(Kernels.sumOfSquares([1, .infinity], count: 2) == .infinity)
        #expect(Kernels.sumOfSquares([.nan, 2e19], count: 2).isNaN)
    }

    @Test("numerically safe softmax and log-sum-exp")
    func logSumExp() {
        #expect(abs(DoubleMath.logSumExp([1000, 1000]) - (1000 + Foundation.log(2))) < 1e-12)
        #expect(DoubleMath.logSumExp([]) == -.infinity)
        var weights: [Double] = [-1000, -1001, -1002]
        _ = weights.withUnsafeMutableBufferPointer { DoubleMath.softmaxInPlace($0) }
        let e = Foundation.exp(1.0)
        let normaliser = 1 + 1 / e + 1 / (e * e)
        #expect(abs(weights[0] - 1 / normaliser) < 1e-12)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        // Nearby points: the direct-difference distance keeps all digits.
        let a: [Float] = [10_000, 10_000], b: [Float] = [10_000.001, 10_000]
        #expect(abs(DoubleMath.squaredDistance(a, b, count: 2) - pow(Double(b[0]) - Double(a[0]), 2)) < 1e-12)
        let (mean, variance, count) = DoubleMath.meanAndVariance([1.0, 2, 3, 4])
        #expect(mean == 2.5 && abs(variance - 5.0 / 3) < 1e-12 && count == 4)
        #expect(abs(DoubleMath.standardError([1.0, 2, 3, 4]) - (5.0 / 3 / 4).squareRoot()) < 1e-12)
    }
}
