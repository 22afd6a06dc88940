/// Reductions and per-channel kernels for feature maps laid out as `[channels, positions]` blocks
/// (one image of a `[B, C, H, W]` tensor, or one normalisation group).
///
/// Reductions keep sixteen `Float` partial sums in one vector register (so the loop vectorises
/// without reassociation flags) and fold them into a `Double` every 1024 elements, which keeps the
/// rounding error of a long sum at the level of a 64-element Float sum.
extension Kernels {
    /// Elements per run before the 16-lane partial sums are folded into the `Double` total.
    @usableFromInline static let reductionRun = 1024

    /// `Σ x[i]`, with 16-lane `Float` partials folded into `Double` every 1024 elements.
    @inlinable
    public static func accurateSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var index = 0
        while index < count {
            let end = min(index + reductionRun, count)
            var lanes = FloatVector()
            while index + 16 <= end {
                lanes += loadVector(x, index)
                index += 16
            }
            var tail: Float = 0
            while index < end {
                tail += x[index]
                index += 1
            }
            total += Double(lanes.sum()) + Double(tail)
        }
        return total
    }

    /// `(Σ a[i], Σ a[i]·b[i])` in one pass, accumulated like ``accurateSum(_:count:)``. The two sums a
    /// normalisation backward needs per channel (Σ dy and Σ dy·x̂).
    @inlinable
    public static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> (sum: Double, dot: Double) {
        var sum = 0.0, dot = 0.0
        var index = 0
        while index < count {
            let end = min(index + reductionRun, count)
            var sumLanes = FloatVector(), dotLanes = FloatVector()
            while index + 16 <= end {
                let va = loadVector(a, index)
                sumLanes += va
                dotLanes += va * loadVector(b, index)
                index += 16
            }
            var sumTail: Float = 0, dotTail: Float = 0
            while index < end {
                sumTail += a[index]
                dotTail += a[index] * b[index]
                index += 1
            }
            sum += Double(sumLanes.sum()) + Double(sumTail)
            dot += Double(dotLanes.sum()) + Double(dotTail)
        }
        return (sum, dot)
    }

    /// Mean and population variance (divisor n) of `x`, by the corrected two-pass algorithm:
    ///
    ///     μ = Σ xᵢ / n,   d_i = xᵢ − μ,   σ² = (Σ dᵢ² − (Σ dᵢ)² / n) / n
    ///
    /// The correction term removes the error of rounding μ to `Float` (Chan, Golub & LeVeque 1983).
    /// Returns (0, 0) for an empty buffer.
    @inlinable
    public static func meanAndVariance(_ x: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        guard count > 0 else { return (0, 0) }
        let mean = accurateSum(x, count: count) / Double(count)
        let center = Float(mean)
        let centerLanes = FloatVector(repeating: center)
        var deviations = 0.0, squares = 0.0
        var index = 0
        while index < count {
            let end = min(index + reductionRun, count)
            var deviationLanes = FloatVector(), squareLanes = FloatVector()
            while index + 16 <= end {
                let d = loadVector(x, index) - centerLanes
                deviationLanes += d
                squareLanes += d * d
                index += 16
            }
            var deviationTail: Float = 0, squareTail: Float = 0
            while index < end {
                let d = x[index] - center
                deviationTail += d
                squareTail += d * d
                index += 1
            }
            deviations += Double(deviationLanes.sum()) + Double(deviationTail)
            squares += Double(squareLanes.sum()) + Double(squareTail)
        }
        let n = Double(count)
        let variance = max((squares - deviations * deviations / n) / n, 0)
        return (Double(center) + deviations / n, variance)
    }

    /// `output[i] = x[i]·scale + shift` (one channel of an affine map; `output` may alias `x`).
    @inlinable
    public static func scaleAndShift(_ x: UnsafePointer<Float>, scale: Float, shift: Float,
                                     into output: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { output[i] = x[i] * scale + shift }
    }

    /// `image[c, p] += bias[c]` for a `channels × positions` block (a convolution's bias).
    @inlinable
    public static func addChannelBias(_ bias: UnsafePointer<Float>, to image: UnsafeMutablePointer<Float>,
                                      channels: Int, positions: Int) {
        for channel in 0..<channels {
            let value = bias[channel]
            let line = image + channel * positions
            for position in 0..<positions { line[position] += value }
        }
    }

    /// `sums[c] += Σ_p image[c, p]` for a `channels × positions` block (the gradient of a channel bias).
    @inlinable
    public static func accumulateChannelSums(_ image: UnsafePointer<Float>, channels: Int, positions: Int,
                                             into sums: UnsafeMutablePointer<Float>) {
        for channel in 0..<channels {
            sums[channel] += Float(accurateSum(image + channel * positions, count: positions))
        }
    }

    /// Normalises one segment and applies one channel's affine map, keeping x̂ for the backward:
    ///
    ///     x̂ᵢ = (xᵢ − μ)·r,   yᵢ = x̂ᵢ·γ + β        (r = 1/√(σ² + ε))
    @inlinable
    public static func normalizeChannel(
        _ x: UnsafePointer<Float>, mean: Float, reciprocalStandardDeviation r: Float, gain: Float, bias: Float,
        normalized: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let value = (x[i] - mean) * r
            normalized[i] = value
            output[i] = value * gain + bias
        }
    }

    /// The input gradient of a normalisation for one channel of a group:
    ///
    ///     dxᵢ = r·(γ·dyᵢ − a − x̂ᵢ·b),   a = mean over the group of γ·dy,  b = mean of γ·dy·x̂
    @inlinable
    public static func normalizationInputGradient(
        _ outputGradient: UnsafePointer<Float>, normalized: UnsafePointer<Float>, gain: Float,
        meanGradient a: Float, meanProjection b: Float, reciprocalStandardDeviation r: Float,
        into inputGradient: UnsafeMutablePointer<Float>, count: Int
    ) {
        let scaledGain = r * gain, scaledA = r * a, scaledB = r * b
        for i in 0..<count {
            inputGradient[i] = scaledGain * outputGradient[i] - scaledA - normalized[i] * scaledB
        }
    }
}

// MARK: Patch unfolding for convolutions

extension Kernels {
    /// The same column matrix as ``im2col(_:geometry:columns:)`` (bitwise identical), built faster:
    ///
    ///     columns[(c·k + i)·k + j, y·outW + x] = image[c, y·s − p + i, x·s − p + j]   (0 outside the image)
    ///
    /// For each kernel offset (i, j) the output columns x whose source `x·s − p + j` lies inside the
    /// image form one interval, computed once; the interval is copied without per-element bounds
    /// checks (a `memcpy` at stride 1) and only its two ends are zero-filled.
    @inlinable
    public static func unfoldPatches(_ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
                                     columns: UnsafeMutablePointer<Float>) {
        let positions = g.outputPositions, k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth
        for c in 0..<g.channels {
            for i in 0..<k {
                for j in 0..<k {
                    let row = columns + ((c * k + i) * k + j) * positions
                    let (start, end) = validOutputColumns(g, kernelColumn: j)
                    for y in 0..<g.outputHeight {
                        let sourceY = y * s - g.padding + i
                        let line = row + y * outputWidth
                        guard sourceY >= 0, sourceY < g.height else {
                            line.update(repeating: 0, count: outputWidth)
                            continue
                        }
                        // source[x·s] is image[c, sourceY, x·s − p + j].
                        let source = image + (c * g.height + sourceY) * g.width + (j - g.padding)
                        if start > 0 { line.update(repeating: 0, count: start) }
                        if s == 1 {
                            (line + start).update(from: source + start, count: end - start)
                        } else {
                            for x in start..<end { line[x] = source[x * s] }
                        }
                        if end < outputWidth { (line + end).update(repeating: 0, count: outputWidth - end) }
                    }
                }
            }
        }
    }

    /// The adjoint of ``unfoldPatches(_:geometry:columns:)`` with the result of
    /// ``col2im(_:geometry:image:)`` (bitwise identical): adds each column entry back to the pixel it
    /// came from. `image` is accumulated into — clear it first for a plain fold.
    @inlinable
    public static func foldPatches(_ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
                                   image: UnsafeMutablePointer<Float>) {
        let positions = g.outputPositions, k = g.kernelSize, s = g.stride, outputWidth = g.outputWidth
        for c in 0..<g.channels {
            for i in 0..<k {
                for j in 0..<k {
                    let row = columns + ((c * k + i) * k + j) * positions
                    let (start, end) = validOutputColumns(g, kernelColumn: j)
                    for y in 0..<g.outputHeight {
                        let targetY = y * s - g.padding + i
                        guard targetY >= 0, targetY < g.height else { continue }
                        let line = row + y * outputWidth
                        let target = image + (c * g.height + targetY) * g.width + (j - g.padding)
                        if s == 1 {
                            for x in start..<end { target[x] += line[x] }
                        } else {
                            for x in start..<end { target[x * s] += line[x] }
                        }
                    }
                }
            }
        }
    }

    /// The output columns x with `0 ≤ x·s − p + j < W`, as a half-open interval (empty when none).
    @inlinable
    static func validOutputColumns(_ g: ConvolutionGeometry, kernelColumn j: Int) -> (start: Int, end: Int) {
        let lowNumerator = g.padding - j
        let start = lowNumerator <= 0 ? 0 : (lowNumerator + g.stride - 1) / g.stride
        let highNumerator = g.width - 1 + g.padding - j
        let end = highNumerator < 0 ? 0 : min(g.outputWidth, highNumerator / g.stride + 1)
        return (min(start, end), end)
    }
}
