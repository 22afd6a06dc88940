import Tensors

/// A small time-conditioned U-Net for images (Ronneberger et al. 2015; the diffusion U-Net of Ho et al.
/// 2020 and Dhariwal & Nichol 2021, in the shape of EDM's `DhariwalUNet` without attention) — the
/// network F of image consistency models. Rows of D = C·H·W features are read as images [B, C, H, W]:
///
///     e   = SiLU(Linear₂(SiLU(Linear₁(emb(c_noise)))) [+ V[y]])        E features (V: class table, y = K = null)
///     h   = Conv3×3(x_in)                                              → skip₀
///     level ℓ = 0…L−1:  h = ResBlock(h, e) × blocksPerLevel             → a skip after each
///                       h = Conv3×3, stride 2 (h)   (ℓ < L−1)           → a skip
///     middle:           h = ResBlock(ResBlock(h, e), e)
///     level ℓ = L−1…0:  h = ResBlock(concat(h, skip.pop()), e) × (blocksPerLevel + 1)
///                       h = Conv3×3(Upsample2D×2(h))   (ℓ > 0)
///     F   = Conv3×3(SiLU(GroupNorm(h)))                                → [B, C, H, W] = B × D rows
///
/// ResBlock is ``ConvResidualBlock`` (GroupNorm, SiLU, conv, scale-and-shift by e, dropout, conv, skip);
/// widths are `channelWidths[ℓ]` at resolution H/2^ℓ × W/2^ℓ. Backward runs the program in reverse,
/// splitting every concatenation's gradient between the decoder path and the skip it came from, and sums
/// the blocks' embedding gradients into e's.
///
/// Class conditioning (``TimeConditionedUNetConfiguration/classCount`` K > 0): the learned label row V[y]
/// is added to the time embedding before its last SiLU; label K (or no labels) is the null class.
/// Dropout masks come from the context's stream with each block's name (`<block>.dropout`), repeating
/// every `context.maskPeriod` rows, as in ``TimeConditionedMLP``.
///
/// Parameter names: `embeddingLayers.{0,1}.{weight,bias}`, `classEmbedding.weight` (K > 0), `input.*`,
/// `down.<ℓ>.blocks.<i>.*`, `down.<ℓ>.downsample.*`, `middle.{0,1}.*`, `up.<ℓ>.blocks.<i>.*`,
/// `up.<ℓ>.upsample.*` (the convolution after upsampling), `outputNorm.*`, `output.*`, plus the time
/// embedding's (`embedding.frequencies` for Fourier features).
public final class TimeConditionedUNet: TimeConditionedNetwork {
    /// One stage of the encoder or decoder program.
    enum Stage {
        /// A residual block; `concatenation` (decoder) joins the running features with a skip first.
        case block(ConvResidualBlock, concatenation: ChannelConcatenation?)
        /// A stride-2 convolution (encoder).
        case downsample(Conv2D)
        /// Nearest ×2 upsampling, then a 3×3 convolution (decoder).
        case upsample(Upsample2D, Conv2D)
    }

    /// The settings the network was built from.
    public let configuration: TimeConditionedUNetConfiguration
    /// Every parameter, by the dotted names listed above.
    public let store: ParameterStore
    /// The features of c_noise fed to the embedding MLP.
    public let embedding: TimeEmbedding
    let embeddingLayers: [Linear]
    let classEmbedding: ClassEmbedding?
    let embeddingActivation = SiLU()
    let inputConvolution: Conv2D
    let encoder: [Stage]
    let middle: [ConvResidualBlock]
    let decoder: [Stage]
    let outputNorm: GroupNorm
    let outputActivation = SiLU()
    let outputConvolution: Conv2D

    private let image = try! Tensor(zeros: [0, 0, 0, 0])
    private let embeddingFeatures = try! Tensor(zeros: [0, 0])
    private let conditioning = try! Tensor(zeros: [0, 0])
    private let conditioningGradient = try! Tensor(zeros: [0, 0])
    private let output = try! Tensor(zeros: [0, 0])
    private let outputImageGradient = try! Tensor(zeros: [0, 0, 0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0])
    private let emptyGradient = try! Tensor(zeros: [0])
    /// The skip features of the last forward: the input convolution's output, then every encoder stage's.
    private var skips: [Tensor]
    /// dL/d(skip k) from the decoder, and dL/d(encoder output k) summed with it.
    private let skipGradients: [Tensor]
    private let summedGradients: [Tensor]
    /// For decoder stage j (a block), the index of the skip it consumes.
    private let skipIndexOfDecoderStage: [Int?]

    /// Whether ``backward(_:)`` returns dF/dx_in (otherwise it returns an empty tensor).
    public var computesInputGradient: Bool {
        didSet { inputConvolution.computesInputGradient = computesInputGradient }
    }

    /// Builds the network and registers its parameters in a new store seeded with `seed`.
    public convenience init(_ configuration: TimeConditionedUNetConfiguration, seed: UInt64) throws(TensorError) {
        try self.init(configuration, scope: ParameterStore(seed: seed).root)
    }

    /// Builds the network inside `scope`. Throws for invalid settings (see
    /// ``TimeConditionedUNetConfiguration/validate()``).
    public init(_ configuration: TimeConditionedUNetConfiguration, scope: ParameterScope) throws(TensorError) {
        try configuration.validate()
        let c = configuration, e = c.resolvedEmbeddingWidth, groups = c.groups
        self.configuration = c
        self.store = scope.store
        embedding = try TimeEmbedding(c.embedding, scope: scope.child("embedding"))
        let embeddingScope = scope.child("embeddingLayers")
        embeddingLayers = [
            try Linear(embedding.featureCount, e, activation: .silu, scope: embeddingScope.child(0)),
            try Linear(e, e, scope: embeddingScope.child(1)),
        ]
        embeddingLayers[0].computesInputGradient = false
        classEmbedding = c.classCount > 0 ? try ClassEmbedding(classCount: c.classCount, features: e, scope: scope.child("classEmbedding")) : nil
        func block(_ input: Int, _ output: Int, _ blockScope: ParameterScope) throws(TensorError) -> ConvResidualBlock {
            try ConvResidualBlock(inputChannels: input, outputChannels: output, conditionFeatures: e, groups: groups,
                                  dropout: c.dropout, scope: blockScope)
        }
        inputConvolution = try Conv2D(inputChannels: c.imageChannels, outputChannels: c.channelWidths[0], kernelSize: 3,
                                      padding: 1, scope: scope.child("input"))
        var skipChannels = [c.channelWidths[0]]
        var channels = c.channelWidths[0]
        var encoder: [Stage] = []
        for level in 0..<c.levels {
            let width = c.channelWidths[level], levelScope = scope.child("down").child(level)
            for index in 0..<c.blocksPerLevel {
                encoder.append(.block(try block(channels, width, levelScope.child("blocks").child(index)), concatenation: nil))
                channels = width
                skipChannels.append(channels)
            }
            if level < c.levels - 1 {
                encoder.append(.downsample(try Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 2,
                                                      padding: 1, scope: levelScope.child("downsample"))))
                skipChannels.append(channels)
            }
        }
        middle = [try block(channels, channels, scope.child("middle").child(0)), try block(channels, channels, scope.child("middle").child(1))]
        var decoder: [Stage] = []
        var skipIndices: [Int?] = []
        var nextSkip = skipChannels.count - 1
        for level in stride(from: c.levels - 1, through: 0, by: -1) {
            let width = c.channelWidths[level], levelScope = scope.child("up").child(level)
            for index in 0...c.blocksPerLevel {
                let joined = channels + skipChannels[nextSkip]
                decoder.append(.block(try block(joined, width, levelScope.child("blocks").child(index)), concatenation: ChannelConcatenation()))
                skipIndices.append(nextSkip)
                nextSkip -= 1
                channels = width
            }
            if level > 0 {
                decoder.append(.upsample(try Upsample2D(factor: 2), try Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3,
                                                                                 padding: 1, scope: levelScope.child("upsample"))))
                skipIndices.append(nil)
            }
        }
        self.encoder = encoder
        self.decoder = decoder
        skipIndexOfDecoderStage = skipIndices
        outputNorm = try GroupNorm(channels: channels, groups: groups, scope: scope.child("outputNorm"))
        outputConvolution = try Conv2D(inputChannels: channels, outputChannels: c.imageChannels, kernelSize: 3, padding: 1,
                                       scope: scope.child("output"))
        let placeholder = try Tensor(zeros: [0])
        skips = [Tensor](repeating: placeholder, count: skipChannels.count)
        var gradients: [Tensor] = [], sums: [Tensor] = []
        for _ in skipChannels {
            gradients.append(try Tensor(zeros: [0, 0, 0, 0]))
            sums.append(try Tensor(zeros: [0, 0, 0, 0]))
        }
        skipGradients = gradients
        summedGradients = sums
        computesInputGradient = false
        inputConvolution.computesInputGradient = false
        // The layers run one at a time, so every convolution can use the same column buffers.
        let workspace = ConvolutionWorkspace()
        for convolution in convolutions { convolution.workspace = workspace }
    }

    /// Every convolution of the network, in program order.
    var convolutions: [Conv2D] {
        var result = [inputConvolution]
        for stage in encoder + decoder {
            switch stage {
            case let .block(block, _): result += block.convolutions
            case let .downsample(convolution), let .upsample(_, convolution): result.append(convolution)
            }
        }
        for block in middle { result += block.convolutions }
        return result + [outputConvolution]
    }

    /// D = C·H·W.
    public var dataDimension: Int { configuration.dataDimension }
    /// K (0 = unconditional).
    public var classCount: Int { configuration.classCount }
    /// `.unet(configuration)`.
    public var architecture: TimeConditionedNetworkArchitecture { .unet(configuration) }

    /// F(x_in, c_noise, y) for `input` [B, C·H·W] (rows of images, channel-major), B noise-conditioning
    /// values and B labels in 0…K (nil: the null class K). Returns [B, C·H·W], a buffer overwritten by
    /// the next forward. Throws for a wrong row length, a conditioning or label count other than B,
    /// labels outside 0…K, or labels given to an unconditional network.
    public func forward(_ input: Tensor, noiseConditioning: Tensor, labels: UnsafeBufferPointer<Int32>?,
                        context: ForwardContext) throws(TensorError) -> Tensor {
        let c = configuration, d = c.dataDimension
        guard input.rank == 2, input.shape[1] == d else {
            throw .shapeMismatch(operation: "TimeConditionedUNet.forward", lhs: input.shape, rhs: [input.rows, d],
                                 expectation: "the input must be [batch, C·H·W] = [batch, \(c.imageChannels)·\(c.height)·\(c.width)] for \(c.imageChannels)×\(c.height)×\(c.width) images")
        }
        let rows = input.rows
        guard noiseConditioning.count == rows else {
            throw .shapeMismatch(operation: "TimeConditionedUNet.forward (noise conditioning)", lhs: noiseConditioning.shape,
                                 rhs: input.shape, expectation: "one noise-conditioning value per input row")
        }
        if labels != nil, classEmbedding == nil {
            throw .invalidArgument(operation: "TimeConditionedUNet.forward",
                                   message: "this U-Net is unconditional (classCount = 0) and takes no class labels; build it with classCount > 0 for class conditioning")
        }
        // Embedding: e = SiLU(Linear₂(SiLU(Linear₁(emb(c)))) + V[y]).
        try embeddingFeatures.resize(rows: rows, columns: embedding.featureCount)
        embedding.embed(noiseConditioning.data, rows: rows, into: embeddingFeatures.data, rowStride: embedding.featureCount, columnOffset: 0)
        var e = try embeddingLayers[0].forward(embeddingFeatures, context: context)
        e = try embeddingLayers[1].forward(e, context: context)
        if let classEmbedding {
            try conditioning.resize(rows: rows, columns: e.shape[1])
            conditioning.data.update(from: e.data, count: e.count)
            try classEmbedding.add(labels: labels, rows: rows, to: conditioning.data)
            e = conditioning
        }
        let condition = try embeddingActivation.forward(e, context: context)

        try image.resize(batch: rows, channels: c.imageChannels, height: c.height, width: c.width)
        image.data.update(from: input.data, count: input.count)
        var h = try inputConvolution.forward(image, context: context)
        skips[0] = h
        for (index, stage) in encoder.enumerated() {
            switch stage {
            case let .block(block, _): h = try block.forward(h, condition: condition, context: context)
            case let .downsample(convolution): h = try convolution.forward(h, context: context)
            case .upsample: break
            }
            skips[index + 1] = h
        }
        for block in middle { h = try block.forward(h, condition: condition, context: context) }
        for (index, stage) in decoder.enumerated() {
            switch stage {
            case let .block(block, concatenation?):
                let joined = try concatenation.forward(h, skips[skipIndexOfDecoderStage[index]!])
                h = try block.forward(joined, condition: condition, context: context)
            case let .block(block, nil): h = try block.forward(h, condition: condition, context: context)
            case let .upsample(upsample, convolution): h = try convolution.forward(upsample.forward(h, context: context), context: context)
            case .downsample: break
            }
        }
        h = try outputNorm.forward(h, context: context)
        h = try outputActivation.forward(h, context: context)
        h = try outputConvolution.forward(h, context: context)
        try output.resize(rows: rows, columns: d)
        output.data.update(from: h.data, count: rows * d)
        return output
    }

    /// Accumulates dL/dθ for the leading b rows of the last forward given dL/dF [b, C·H·W]; returns
    /// dL/dx_in [b, C·H·W] when ``computesInputGradient`` is on, else an empty tensor.
    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let c = configuration, d = c.dataDimension
        guard outputGradient.rank == 2, outputGradient.shape[1] == d, outputGradient.rows <= output.rows else {
            throw .shapeMismatch(operation: "TimeConditionedUNet.backward", lhs: outputGradient.shape, rhs: output.shape,
                                 expectation: "the gradient must be [b, \(d)] with b at most the last forward's batch")
        }
        let rows = outputGradient.rows, e = c.resolvedEmbeddingWidth
        try outputImageGradient.resize(batch: rows, channels: c.imageChannels, height: c.height, width: c.width)
        outputImageGradient.data.update(from: outputGradient.data, count: rows * d)
        try conditioningGradient.resize(rows: rows, columns: e)
        conditioningGradient.fill(0)
        func addConditionGradient(_ gradient: Tensor) {
            Kernels.addScaled(gradient.data, scale: 1, into: conditioningGradient.data, count: rows * e)
        }
        var g = try outputConvolution.backward(outputImageGradient)
        g = try outputActivation.backward(g)
        g = try outputNorm.backward(g)
        for index in decoder.indices.reversed() {
            switch decoder[index] {
            case let .block(block, concatenation):
                let (featureGradient, conditionGradient) = try block.backward(g)
                addConditionGradient(conditionGradient)
                if let concatenation {
                    let (running, skip) = try concatenation.backward(featureGradient)
                    let target = skipGradients[skipIndexOfDecoderStage[index]!]
                    try target.resize(to: skip.shape)
                    target.data.update(from: skip.data, count: skip.count)
                    g = running
                } else {
                    g = featureGradient
                }
            case let .upsample(upsample, convolution): g = try upsample.backward(convolution.backward(g))
            case .downsample: break
            }
        }
        for block in middle.reversed() {
            let (featureGradient, conditionGradient) = try block.backward(g)
            addConditionGradient(conditionGradient)
            g = featureGradient
        }
        for index in encoder.indices.reversed() {
            g = try summed(g, skip: index + 1)
            switch encoder[index] {
            case let .block(block, _):
                let (featureGradient, conditionGradient) = try block.backward(g)
                addConditionGradient(conditionGradient)
                g = featureGradient
            case let .downsample(convolution): g = try convolution.backward(g)
            case .upsample: break
            }
        }
        g = try summed(g, skip: 0)
        let imageGradient = try inputConvolution.backward(g)
        // Embedding: through the last SiLU, into the class table, then the two Linears.
        var eGradient = try embeddingActivation.backward(conditioningGradient)
        classEmbedding?.backward(eGradient.data, rows: rows)
        eGradient = try embeddingLayers[1].backward(eGradient)
        _ = try embeddingLayers[0].backward(eGradient)
        guard computesInputGradient else { return emptyGradient }
        try inputGradient.resize(rows: rows, columns: d)
        inputGradient.data.update(from: imageGradient.data, count: rows * d)
        return inputGradient
    }

    /// dL/d(skip k) in total: the gradient arriving along the network plus the one from the decoder's
    /// concatenation that consumed skip k.
    private func summed(_ gradient: Tensor, skip index: Int) throws(TensorError) -> Tensor {
        let fromDecoder = skipGradients[index], target = summedGradients[index]
        guard fromDecoder.shape == gradient.shape else {
            throw .shapeMismatch(operation: "TimeConditionedUNet.backward (skip \(index))", lhs: gradient.shape, rhs: fromDecoder.shape,
                                 expectation: "the skip's gradient from the decoder must match the encoder's")
        }
        try target.resize(to: gradient.shape)
        Kernels.add(gradient.data, fromDecoder.data, into: target.data, count: gradient.count)
        return target
    }
}
