/// Reductions and per-channel kernels for feature maps laid out as `[channels, positions]` blocks
/// (one image of a `[B, C, H, W]` tensor, or one normalisation group).
///
/// Reductions keep sixteen `Float` partial sums in one vector register (so the loop vectorises
/// without reassociation flags) and fold them into a `Double` every 1024 elements, which keeps the
/// rounding error of a long sum at the level of a 64-element Float sum.
extension Kernels {
    /// `(Σ a[i], Σ a[i]·b[i])` in one pass, accumulated like ``Kernels/sum(_:count:)``. The two sums a
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
        let mean = sum(x, count: count) / Double(count)
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
            sums[channel] += Float(sum(image + channel * positions, count: positions))
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

    /// Scatters a batch-wide product `source` (`channels × images·positions`, image b in columns
    /// b·positions ..< (b+1)·positions) into `images` consecutive `channels × positions` blocks, adding a
    /// per-channel bias:
    ///
    ///     target[b, c, p] = source[c, b·positions + p] + bias[c]        (bias 0 when nil)
    @inlinable
    public static func scatterChannelBlocks(_ source: UnsafePointer<Float>, images: Int, channels: Int, positions: Int,
                                            bias: UnsafePointer<Float>?, into target: UnsafeMutablePointer<Float>) {
        let rowLength = images * positions
        for image in 0..<images {
            for channel in 0..<channels {
                let from = source + channel * rowLength + image * positions
                let to = target + (image * channels + channel) * positions
                let value = bias?[channel] ?? 0
                for position in 0..<positions { to[position] = from[position] + value }
            }
        }
    }

    /// The transpose of ``scatterChannelBlocks(_:images:channels:positions:bias:into:)`` without bias:
    /// gathers `images` `channels × positions` blocks into one `channels × images·positions` matrix,
    ///
    ///     target[c, b·positions + p] = source[b, c, p]
    @inlinable
    public static func gatherChannelBlocks(_ source: UnsafePointer<Float>, images: Int, channels: Int, positions: Int,
                                           into target: UnsafeMutablePointer<Float>) {
        let rowLength = images * positions
        for image in 0..<images {
            for channel in 0..<channels {
                (target + channel * rowLength + image * positions)
                    .update(from: source + (image * channels + channel) * positions, count: positions)
            }
        }
    }
}
