import Tensors

/// Group normalisation (Wu & He 2018) over `[B, C, spatial…]` (`[B, C, H, W]` or `[B, C]`): the C
/// channels form G groups of C/G consecutive channels, and each sample's group is normalised over its
/// channels and positions, then every channel gets its own affine map:
///
///     μ_bg = mean_{c∈g, p} x[b,c,p],   σ²_bg = mean_{c∈g, p} (x[b,c,p] − μ_bg)²
///     x̂[b,c,p] = (x[b,c,p] − μ_bg) / √(σ²_bg + ε),   y[b,c,p] = γ_c · x̂[b,c,p] + β_c
///
/// Statistics are accumulated in Double by the corrected two-pass algorithm. Backward, with
/// n = (C/G)·positions and r = 1/√(σ² + ε), for the leading b ≤ B samples:
///
///     dγ_c += Σ_{b,p} dy·x̂,   dβ_c += Σ_{b,p} dy
///     dx = r·(γ_c·dy − mean_g(γ·dy) − x̂·mean_g(γ·dy·x̂))
///
/// G = 1 is LayerNorm over (C, spatial); G = C is InstanceNorm. Parameters: `<scope>.gain` `[C]`
/// (ones) and `<scope>.bias` `[C]` (zeros), neither decayed.
public final class GroupNorm: Layer {
    public let channels: Int
    public let groups: Int
    public let epsilon: Float
    public let gain: ParameterHandle
    public let bias: ParameterHandle
    let store: ParameterStore

    private var layout = FeatureMapLayout?.none
    private let normalized = try! Tensor(zeros: [0])
    /// 1/√(σ² + ε) per (sample, group).
    private let reciprocalStandardDeviations = try! Tensor(zeros: [0])
    private let output = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    /// Throws unless `channels > 0`, `groups > 0`, `groups` divides `channels` and `epsilon > 0`.
    public init(channels: Int, groups: Int, epsilon: Float = 1e-5, scope: ParameterScope) throws(TensorError) {
        let operation = "GroupNorm(\(scope.prefix))"
        guard channels > 0, groups > 0 else {
            throw .invalidArgument(operation: operation, message: "channels and groups must be > 0, got \(channels) channels in \(groups) groups")
        }
        guard channels % groups == 0 else {
            throw .invalidArgument(operation: operation, message: "the number of groups (\(groups)) must divide the number of channels (\(channels))")
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw .invalidArgument(operation: operation, message: "epsilon must be finite and > 0, got \(epsilon)")
        }
        self.channels = channels
        self.groups = groups
        self.epsilon = epsilon
        self.store = scope.store
        self.gain = try scope.register("gain", shape: [channels], initializer: .ones, decays: false)
        self.bias = try scope.register("bias", shape: [channels], initializer: .zeros, decays: false)
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard let shape = FeatureMapLayout(input), shape.channels == channels else {
            var expected = input.shape
            if expected.count >= 2 { expected[1] = channels } else { expected = [input.rows, channels] }
            throw .shapeMismatch(operation: "GroupNorm.forward", lhs: input.shape, rhs: expected,
                                 expectation: "the input must be [batch, \(channels), spatial…] for a GroupNorm over \(channels) channels")
        }
        layout = shape
        try output.resize(to: input.shape)
        try normalized.resize(to: input.shape)
        try reciprocalStandardDeviations.resize(rows: shape.batch, columns: groups)
        let perGroup = channels / groups, positions = shape.positions
        let groupSize = perGroup * positions
        let gains = store.values + gain.offset, biases = store.values + bias.offset
        for sample in 0..<shape.batch {
            for group in 0..<groups {
                let start = (sample * channels + group * perGroup) * positions
                let (mean, variance) = Kernels.meanAndVariance(input.data + start, count: groupSize)
                let r = Float(1 / (variance + Double(epsilon)).squareRoot())
                reciprocalStandardDeviations.data[sample * groups + group] = r
                let center = Float(mean)
                for member in 0..<perGroup {
                    let channel = group * perGroup + member
                    let offset = start + member * positions
                    Kernels.normalizeChannel(input.data + offset, mean: center, reciprocalStandardDeviation: r,
                                             gain: gains[channel], bias: biases[channel],
                                             normalized: normalized.data + offset, output: output.data + offset,
                                             count: positions)
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        guard let shape = layout else {
            throw .invalidArgument(operation: "GroupNorm.backward", message: "backward was called before forward")
        }
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "GroupNorm")
        try inputGradient.resize(like: output.shape, rows: rows)
        let perGroup = channels / groups, positions = shape.positions
        let groupSize = Double(perGroup * positions)
        let gains = store.values + gain.offset
        let gainGradients = store.gradients + gain.offset, biasGradients = store.gradients + bias.offset
        for sample in 0..<rows {
            for group in 0..<groups {
                let start = (sample * channels + group * perGroup) * positions
                var meanGradient = 0.0, meanProjection = 0.0
                for member in 0..<perGroup {
                    let channel = group * perGroup + member
                    let offset = start + member * positions
                    let (sum, dot) = Kernels.sumAndDot(outputGradient.data + offset, normalized.data + offset, count: positions)
                    biasGradients[channel] += Float(sum)
                    gainGradients[channel] += Float(dot)
                    meanGradient += Double(gains[channel]) * sum
                    meanProjection += Double(gains[channel]) * dot
                }
                let r = reciprocalStandardDeviations.data[sample * groups + group]
                let a = Float(meanGradient / groupSize), b = Float(meanProjection / groupSize)
                for member in 0..<perGroup {
                    let channel = group * perGroup + member
                    let offset = start + member * positions
                    Kernels.normalizationInputGradient(outputGradient.data + offset, normalized: normalized.data + offset,
                                                       gain: gains[channel], meanGradient: a, meanProjection: b,
                                                       reciprocalStandardDeviation: r,
                                                       into: inputGradient.data + offset, count: positions)
                }
            }
        }
        return inputGradient
    }
}
