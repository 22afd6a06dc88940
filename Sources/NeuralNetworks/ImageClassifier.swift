import Tensors

/// A small convolutional image classifier whose penultimate features serve as the embedding of a
/// Fréchet distance (the role Inception-v3's pool features play in FID, Heusel et al. 2017; for
/// 8×8 digits a classifier trained on the data itself, as METHODS.md §9 asks):
///
///     h₀ = x                                                   [B, C, H, W]
///     h_s = SiLU(GroupNorm_s(Conv3×3_s(h_{s−1})))              stride 1 for s = 1, stride 2 after
///     p = GlobalAveragePool(h_S)                               [B, C_S]
///     φ(x) = SiLU(p·W_f + b_f)                                 [B, F]   (the penultimate features)
///     z(x) = φ(x)·W_o + b_o                                    [B, K]   (the logits)
///
/// trained with ``SoftmaxCrossEntropy``. Backward follows the chain in reverse through every layer's
/// own backward (each checked by finite differences), accumulating dL/dθ into ``store``.
///
/// Parameter names: `stages.<s>.conv.{weight,bias}`, `stages.<s>.norm.{gain,bias}`,
/// `features.{weight,bias}`, `head.{weight,bias}`. Like every layer, the classifier owns its output
/// buffers: the tensors returned by ``logits(_:context:)`` and ``features(_:context:)`` are overwritten
/// by the next forward, and the input must stay unchanged until ``backward(logitsGradient:)``.
public final class ImageClassifier {
    public let configuration: ImageClassifierConfiguration
    public let store: ParameterStore
    private let convolutions: [Conv2D]
    private let norms: [GroupNorm]
    private let activations: [SiLU]
    private let pool = GlobalAveragePool()
    private let featureLayer: Linear
    private let head: Linear
    /// A [B, C, H, W] view of a [B, C·H·W] input (copied).
    private let image = try! Tensor(zeros: [0, 0, 0, 0])
    private let flatInputGradient = try! Tensor(zeros: [0, 0])
    private let emptyGradient = try! Tensor(zeros: [0])
    /// What the last forward computed: nil (none), false (features only), true (logits).
    private var lastForwardReachedLogits: Bool?
    private var lastInputWasFlat = false

    /// Whether the backward passes return dL/dx (otherwise an empty tensor; training does not need it).
    public var computesInputGradient: Bool {
        didSet { convolutions[0].computesInputGradient = computesInputGradient }
    }

    /// Builds the network and registers its parameters in a new store seeded with `seed`.
    public convenience init(_ configuration: ImageClassifierConfiguration, seed: UInt64) throws(TensorError) {
        try self.init(configuration, scope: ParameterStore(seed: seed).root)
    }

    /// Builds the network inside `scope`. Throws for invalid settings (see
    /// ``ImageClassifierConfiguration/validate()``).
    public init(_ configuration: ImageClassifierConfiguration, scope: ParameterScope) throws(TensorError) {
        try configuration.validate()
        self.configuration = configuration
        self.store = scope.store
        var convolutions: [Conv2D] = [], norms: [GroupNorm] = [], activations: [SiLU] = []
        var channels = configuration.imageChannels
        for (index, width) in configuration.stageChannels.enumerated() {
            let stage = scope.child("stages").child(index)
            convolutions.append(try Conv2D(inputChannels: channels, outputChannels: width, kernelSize: 3,
                                           stride: index == 0 ? 1 : 2, padding: 1, scope: stage.child("conv")))
            norms.append(try GroupNorm(channels: width, groups: configuration.groups, scope: stage.child("norm")))
            activations.append(SiLU())
            channels = width
        }
        self.convolutions = convolutions
        self.norms = norms
        self.activations = activations
        featureLayer = try Linear(channels, configuration.featureCount, activation: .silu, scope: scope.child("features"))
        head = try Linear(configuration.featureCount, configuration.classCount, scope: scope.child("head"))
        computesInputGradient = false
        convolutions[0].computesInputGradient = false
    }

    /// The penultimate features φ(x), [B, F], for `images` [B, C, H, W] or [B, C·H·W].
    public func features(_ images: Tensor, context: ForwardContext = .evaluation) throws(TensorError) -> Tensor {
        lastForwardReachedLogits = nil
        var h = try imageView(images)
        for stage in convolutions.indices {
            h = try convolutions[stage].forward(h, context: context)
            h = try norms[stage].forward(h, context: context)
            h = try activations[stage].forward(h, context: context)
        }
        let result = try featureLayer.forward(try pool.forward(h, context: context), context: context)
        lastForwardReachedLogits = false
        return result
    }

    /// The logits z(x), [B, K], for `images` [B, C, H, W] or [B, C·H·W].
    public func logits(_ images: Tensor, context: ForwardContext = .evaluation) throws(TensorError) -> Tensor {
        let phi = try features(images, context: context)
        let result = try head.forward(phi, context: context)
        lastForwardReachedLogits = true
        return result
    }

    /// Accumulates dL/dθ for dL/dz (`logitsGradient`, the leading b ≤ B rows of the last
    /// ``logits(_:context:)``) and returns dL/dx in the input's layout (empty unless
    /// ``computesInputGradient``).
    public func backward(logitsGradient: Tensor) throws(TensorError) -> Tensor {
        guard lastForwardReachedLogits == true else {
            throw .invalidArgument(operation: "ImageClassifier.backward(logitsGradient:)",
                                   message: "the last forward must be logits(_:context:) (it was \(lastForwardReachedLogits == false ? "features(_:context:)" : "none"))")
        }
        return try backwardFromFeatures(try head.backward(logitsGradient))
    }

    /// Accumulates dL/dθ for dL/dφ (`featureGradient`, the leading b ≤ B rows of the last forward's
    /// features) and returns dL/dx (empty unless ``computesInputGradient``).
    public func backward(featureGradient: Tensor) throws(TensorError) -> Tensor {
        guard lastForwardReachedLogits != nil else {
            throw .invalidArgument(operation: "ImageClassifier.backward(featureGradient:)", message: "backward was called before forward")
        }
        return try backwardFromFeatures(featureGradient)
    }

    private func backwardFromFeatures(_ featureGradient: Tensor) throws(TensorError) -> Tensor {
        var g = try pool.backward(try featureLayer.backward(featureGradient))
        for stage in convolutions.indices.reversed() {
            g = try activations[stage].backward(g)
            g = try norms[stage].backward(g)
            g = try convolutions[stage].backward(g)
        }
        guard computesInputGradient else { return emptyGradient }
        guard lastInputWasFlat else { return g }
        try flatInputGradient.resize(rows: g.rows, columns: configuration.dataDimension)
        flatInputGradient.data.update(from: g.data, count: g.count)
        return flatInputGradient
    }

    /// `images` itself when [B, C, H, W]; a [B, C, H, W] copy when [B, C·H·W]; throws otherwise.
    private func imageView(_ images: Tensor) throws(TensorError) -> Tensor {
        let c = configuration
        if images.rank == 4, Array(images.shape.dropFirst()) == c.imageShape {
            lastInputWasFlat = false
            return images
        }
        guard images.rank == 2, images.shape[1] == c.dataDimension else {
            throw .shapeMismatch(operation: "ImageClassifier", lhs: images.shape, rhs: [images.rows] + c.imageShape,
                                 expectation: "the images must be [batch, \(c.imageChannels), \(c.height), \(c.width)] or [batch, \(c.dataDimension)]")
        }
        lastInputWasFlat = true
        try image.resize(batch: images.rows, channels: c.imageChannels, height: c.height, width: c.width)
        image.data.update(from: images.data, count: images.count)
        return image
    }
}
