import Tensors

/// The residual block of diffusion U-Nets (Ho et al. 2020; Dhariwal & Nichol 2021; EDM's `UNetBlock`),
/// conditioned on an embedding e `[B, E]` by FiLM:
///
///     h = Conv3×3(SiLU(GroupNorm₁(x)))                        C_in → C_out
///     h = ScaleShift(h, e) = h ⊙ (1 + s(e)) + t(e)
///     h = Conv3×3(Dropout(SiLU(GroupNorm₂(h))))               C_out → C_out
///     y = skip(x) + h,   skip = identity (C_in = C_out) or Conv1×1 (C_in ≠ C_out)
///
/// The embedding enters before GroupNorm₂, as in EDM's `UNetBlock` without `adaptive_scale` (DDPM++:
/// `norm1(x + affine(emb))`), here with a per-channel scale as well; Dhariwal & Nichol's "scale-shift
/// norm" (EDM's `adaptive_scale`) applies it after the norm instead. GroupNorm₂ removes what a group's
/// channels share, so a group of one channel would normalise the conditioning away entirely: C_out must
/// hold at least two channels per group.
///
/// Convolutions use stride 1 and padding 1, so `[B, C_in, H, W] → [B, C_out, H, W]`. The embedding is
/// used as given (EDM applies SiLU to it once, before all blocks). Backward runs the chain in reverse
/// for the leading b ≤ B samples and adds the skip path's gradient.
///
/// Parameters, under `<scope>`: `norm1.{gain,bias}`, `conv1.{weight,bias}`,
/// `scaleShift.projection.{weight,bias}`, `norm2.{gain,bias}`, `conv2.{weight,bias}` and, when the
/// channel counts differ, `skip.{weight,bias}`. Dropout masks are keyed by `<scope>.dropout`.
public final class ConvResidualBlock: ConditionedLayer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let conditionFeatures: Int
    public let firstNorm: GroupNorm
    public let firstActivation: SiLU
    public let firstConvolution: Conv2D
    public let scaleShift: ScaleShift
    public let secondNorm: GroupNorm
    public let secondActivation: SiLU
    public let dropout: Dropout
    public let secondConvolution: Conv2D
    /// The 1×1 projection of the skip path; nil when it is the identity.
    public let skip: Conv2D?

    private var inputShape: [Int] = []
    private let output = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    /// `groups` must divide both channel counts and leave at least two output channels per group (see
    /// above); `dropout` is the drop probability in [0, 1).
    public init(
        inputChannels: Int, outputChannels: Int, conditionFeatures: Int, groups: Int, dropout: Float = 0,
        scope: ParameterScope
    ) throws(TensorError) {
        guard groups < 1 || outputChannels >= 2 * groups else {
            throw .invalidArgument(operation: "ConvResidualBlock",
                                   message: "\(outputChannels) output channels in \(groups) GroupNorm groups leave one channel per group, "
                                       + "which normalises the time/class conditioning away (it enters before GroupNorm₂); "
                                       + "use at most \(outputChannels / 2) groups")
        }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.conditionFeatures = conditionFeatures
        firstNorm = try GroupNorm(channels: inputChannels, groups: groups, scope: scope.child("norm1"))
        firstActivation = SiLU()
        firstConvolution = try Conv2D(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3,
                                      padding: 1, scope: scope.child("conv1"))
        scaleShift = try ScaleShift(channels: outputChannels, conditionFeatures: conditionFeatures,
                                    scope: scope.child("scaleShift"))
        secondNorm = try GroupNorm(channels: outputChannels, groups: groups, scope: scope.child("norm2"))
        secondActivation = SiLU()
        self.dropout = try Dropout(probability: dropout, name: scope.qualified("dropout"))
        secondConvolution = try Conv2D(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3,
                                       padding: 1, scope: scope.child("conv2"))
        skip = inputChannels == outputChannels
            ? nil
            : try Conv2D(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, scope: scope.child("skip"))
    }

    /// The block's convolutions (first, second, then the skip projection if any).
    var convolutions: [Conv2D] { [firstConvolution, secondConvolution] + (skip.map { [$0] } ?? []) }

    public func forward(_ input: Tensor, condition: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard input.rank == 4 else {
            throw .invalidShape(operation: "ConvResidualBlock.forward", shape: input.shape,
                                expectation: "the input must be [batch, \(inputChannels), height, width]")
        }
        guard input.shape[1] == inputChannels else {
            throw .shapeMismatch(operation: "ConvResidualBlock.forward", lhs: input.shape,
                                 rhs: [input.shape[0], inputChannels, input.shape[2], input.shape[3]],
                                 expectation: "the input must have the block's \(inputChannels) channels")
        }
        var h = try firstNorm.forward(input, context: context)
        h = try firstActivation.forward(h, context: context)
        h = try firstConvolution.forward(h, context: context)
        h = try scaleShift.forward(h, condition: condition, context: context)
        h = try secondNorm.forward(h, context: context)
        h = try secondActivation.forward(h, context: context)
        h = try dropout.forward(h, context: context)
        h = try secondConvolution.forward(h, context: context)
        let shortcut = try skip?.forward(input, context: context) ?? input
        if inputShape != input.shape { inputShape = input.shape }
        try output.resize(to: h.shape)
        Kernels.add(shortcut.data, h.data, into: output.data, count: h.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> (input: Tensor, condition: Tensor) {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "ConvResidualBlock")
        var g = try secondConvolution.backward(outputGradient)
        g = try dropout.backward(g)
        g = try secondActivation.backward(g)
        g = try secondNorm.backward(g)
        let (featureGradient, conditionGradient) = try scaleShift.backward(g)
        g = try firstConvolution.backward(featureGradient)
        g = try firstActivation.backward(g)
        g = try firstNorm.backward(g)
        let shortcutGradient = try skip?.backward(outputGradient) ?? outputGradient
        try inputGradient.resize(like: inputShape, rows: rows)
        Kernels.add(g.data, shortcutGradient.data, into: inputGradient.data, count: inputGradient.count)
        return (inputGradient, conditionGradient)
    }
}
