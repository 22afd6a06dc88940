/// Element-wise and reduction kernels over raw `Float` buffers.
///
/// Each is a plain loop (or a 16-lane loop where a transcendental is involved) that the compiler
/// vectorises with `-target-cpu native`. Layers call these on their own buffers (whose shapes they
/// checked); the kernels themselves trust `count`.
public enum Kernels {
    /// `output[i] = a[i] + b[i]`.
    @inlinable
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = a[i] + b[i] }
    }

    /// `y[i] += α · x[i]` (BLAS axpy).
    @inlinable
    public static func addScaled(_ x: UnsafePointer<Float>, scale alpha: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// `x[i] *= α`.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        for i in 0..<count { x[i] *= alpha }
    }

    /// `output[i] = a[i] · b[i]`.
    @inlinable
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = a[i] * b[i] }
    }

    /// `matrix[r, c] += bias[c]` for every row of a `rows × columns` matrix.
    @inlinable
    public static func addRowVector(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            let line = matrix + row * columns
            for column in 0..<columns { line[column] += bias[column] }
        }
    }

    /// `sums[c] += Σ_r matrix[r, c]` over the first `rows` rows (the gradient of a broadcast bias).
    @inlinable
    public static func accumulateColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let line = matrix + row * columns
            for column in 0..<columns { sums[column] += line[column] }
        }
    }

    /// Fused bias + SiLU: with `z = matrix[r, c] + bias[c]`, writes `output = z·σ(z)` and, for the first
    /// `gateRows` rows, `gate = σ(z)` (what ``siluBackward`` needs; rows that will never be
    /// differentiated skip that store). `output` may alias `matrix`.
    ///
    ///     SiLU(z) = z · σ(z),   σ(z) = 1 / (1 + e^(−z))
    @inlinable
    public static func biasSiLU(
        _ matrix: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, columns: Int,
        output: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>, gateRows: Int? = nil
    ) {
        let rowsWithGate = min(gateRows ?? rows, rows)
        for row in 0..<rows {
            let offset = row * columns
            let storesGate = row < rowsWithGate
            var column = 0
            while column < columns {
                let lanes = min(16, columns - column)
                var z = lanes == 16 ? loadVector(matrix, offset + column) : loadPartialVector(matrix, offset + column, count: lanes)
                if let bias {
                    z += lanes == 16 ? loadVector(bias, column) : loadPartialVector(bias, column, count: lanes)
                }
                let s = fastSigmoid(z)
                if lanes == 16 {
                    if storesGate { storeVector(s, gate, offset + column) }
                    storeVector(z * s, output, offset + column)
                } else {
                    if storesGate { storePartialVector(s, gate, offset + column, count: lanes) }
                    storePartialVector(z * s, output, offset + column, count: lanes)
                }
                column += 16
            }
        }
    }

    /// SiLU backward for a `rows × columns` block, fused with the bias gradient:
    ///
    ///     dz = dy ⊙ σ(z)(1 + z(1 − σ(z))) = dy ⊙ (σ + y(1 − σ)),   biasGradient[c] += Σ_r dz[r, c]
    ///
    /// from the forward's gate σ(z) and output y = z·σ(z). `inputGradient` may alias `outputGradient`.
    /// Sixteen lanes at a time with explicit vectors: the compiler leaves the scalar loop unvectorised
    /// (`biasGradient` might alias the other buffers). Each bias entry still adds the rows in order, so
    /// the result is the scalar loop's, bit for bit.
    @inlinable
    public static func siluBackward(
        outputGradient: UnsafePointer<Float>, gate: UnsafePointer<Float>, output: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, rows: Int, columns: Int, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        for row in 0..<rows {
            let offset = row * columns
            var column = 0
            while column < columns {
                let lanes = min(16, columns - column), at = offset + column
                let full = lanes == 16
                let s = full ? loadVector(gate, at) : loadPartialVector(gate, at, count: lanes)
                let y = full ? loadVector(output, at) : loadPartialVector(output, at, count: lanes)
                let dy = full ? loadVector(outputGradient, at) : loadPartialVector(outputGradient, at, count: lanes)
                let dz = dy * (s + y - y * s)
                if full { storeVector(dz, inputGradient, at) } else { storePartialVector(dz, inputGradient, at, count: lanes) }
                if let biasGradient {
                    if full {
                        storeVector(loadVector(biasGradient, column) + dz, biasGradient, column)
                    } else {
                        storePartialVector(loadPartialVector(biasGradient, column, count: lanes) + dz, biasGradient, column, count: lanes)
                    }
                }
                column += 16
            }
        }
    }

    /// SiLU backward from the forward's gate σ(z) and output y = z·σ(z):
    ///
    ///     dSiLU/dz = σ(z) · (1 + z·(1 − σ(z))) = σ + y·(1 − σ)
    ///
    /// `inputGradient[i] = outputGradient[i] · (σ + y − y·σ)`; `inputGradient` may alias `outputGradient`.
    @inlinable
    public static func siluBackward(
        outputGradient: UnsafePointer<Float>, gate: UnsafePointer<Float>, output: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let s = gate[i], y = output[i]
            inputGradient[i] = outputGradient[i] * (s + y - y * s)
        }
    }

    /// GELU, tanh approximation (Hendrycks & Gimpel 2016), with `u = √(2/π)(z + 0.044715 z³)`:
    ///
    ///     GELU(z) = ½ z (1 + tanh u)
    ///
    /// Writes `output` and keeps `tanh u` in `tanhCache` for the backward pass.
    @inlinable
    public static func gelu(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, tanhCache: UnsafeMutablePointer<Float>, count: Int) {
        let k: Float = 0.797_884_56  // √(2/π)
        mapVectors(input, tanhCache, count: count) { z in fastTanh(k * (z + 0.044_715 * z * z * z)) }
        for i in 0..<count { output[i] = 0.5 * input[i] * (1 + tanhCache[i]) }
    }

    /// GELU backward (tanh approximation):
    ///
    ///     dGELU/dz = ½(1 + tanh u) + ½ z (1 − tanh² u) · √(2/π)(1 + 3·0.044715 z²)
    @inlinable
    public static func geluBackward(
        outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>, tanhCache: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>, count: Int
    ) {
        let k: Float = 0.797_884_56
        for i in 0..<count {
            let z = input[i], th = tanhCache[i]
            let derivative = 0.5 * (1 + th) + 0.5 * z * (1 - th * th) * k * (1 + 0.134_145 * z * z)
            inputGradient[i] = outputGradient[i] * derivative
        }
    }

    /// `Σ x[i]`: sixteen `Float` partial sums in one vector register (so the loop vectorises without
    /// reassociation flags), folded into a `Double` every ``reductionRun`` elements — the rounding error
    /// of a long sum stays at the level of a 64-element `Float` sum.
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        reduce(count: count) { loadVector(x, $0) } tail: { x[$0] }
    }

    /// `Σ x[i]²`, accumulated like ``sum(_:count:)``. Squares of entries beyond ≈ 1.8·10¹⁹ (or a
    /// 64-element run of them) overflow `Float`; when the fast sum comes out infinite it is recomputed
    /// with `Double` squares, so finite entries always give a finite sum (a global gradient norm that
    /// clipping can act on) and a NaN or ±∞ entry still gives NaN or +∞.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        let fast = reduce(count: count) { let v = loadVector(x, $0); return v * v } tail: { x[$0] * x[$0] }
        guard fast == .infinity else { return fast }
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) * Double(x[i]) }
        return total
    }

    /// `Σ a[i]·b[i]`, accumulated like ``sum(_:count:)``; a fast sum that overflows `Float` (±∞ or the
    /// NaN of ∞ − ∞ from finite inputs) is recomputed with `Double` products, like ``sumOfSquares(_:count:)``.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        let fast = reduce(count: count) { loadVector(a, $0) * loadVector(b, $0) } tail: { a[$0] * b[$0] }
        guard !fast.isFinite else { return fast }
        var total = 0.0
        for i in 0..<count { total += Double(a[i]) * Double(b[i]) }
        return total
    }

    /// Elements per run before the 16-lane partial sums are folded into the `Double` total.
    public static let reductionRun = 1024

    /// Σ over `count` elements of `term`, 16 lanes at a time (`vector(i)` covers elements i…i+15,
    /// `tail(i)` one element past the last full vector), folded into Double every ``reductionRun``.
    @inlinable @inline(__always)
    static func reduce(count: Int, vector: (Int) -> FloatVector, tail: (Int) -> Float) -> Double {
        var total = 0.0
        var index = 0
        while index < count {
            let end = min(index + reductionRun, count)
            var lanes = FloatVector()
            while index + 16 <= end {
                lanes += vector(index)
                index += 16
            }
            var rest: Float = 0
            while index < end {
                rest += tail(index)
                index += 1
            }
            total += Double(lanes.sum()) + Double(rest)
        }
        return total
    }

    /// `max |x[i]|` (0 for an empty buffer; NaN wherever it appears makes the result NaN).
    @inlinable
    public static func maximumMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var result: Float = 0
        for i in 0..<count {
            let magnitude = abs(x[i])
            if magnitude.isNaN { return .nan }
            if magnitude > result { result = magnitude }
        }
        return result
    }

    /// True when no element is NaN or ±∞. (`x − x` is 0 for finite x and NaN otherwise; sixteen lanes
    /// accumulate it, so a single NaN or ∞ anywhere leaves a NaN lane.)
    @inlinable
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var lanes = SIMD16<Float>()
        var index = 0
        let raw = UnsafeRawPointer(x)
        while index + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            lanes += v - v
            index += 16
        }
        var accumulator: Float = 0
        while index < count {
            accumulator += x[index] - x[index]
            index += 1
        }
        return lanes == SIMD16<Float>() && accumulator == 0
    }
}
