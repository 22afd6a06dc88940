import Tensors

/// The network F inside a preconditioned model (METHODS.md §1): it maps rows of scaled inputs
/// `x_in = c_in(t)·x` (B × D, D = ``dataDimension``), one noise-conditioning value `c_noise(t)` per row
/// and, for class-conditional networks, one class label per row to rows of outputs (B × D):
///
///     F(x_in, c_noise[, y]) ∈ R^D
///
/// One small protocol (STYLE.md §3) adopted by ``TimeConditionedMLP`` (toy data) and
/// ``TimeConditionedUNet`` (images, rows of C·H·W pixels), so the consistency value function, the
/// learners, the samplers and the checkpoints work with either.
///
/// The buffer contract is the layers' (see ``Layer``): `forward` keeps what `backward` needs and returns
/// a buffer it overwrites on its next call; `backward` accumulates dL/dθ into ``store`` for the leading
/// b ≤ B rows of the last forward and returns dL/dx_in (b × D) when ``computesInputGradient`` is on (an
/// empty tensor otherwise). Dropout masks come from the context's stream, keyed by the training step,
/// and repeat every `context.maskPeriod` rows, so the online and target passes share them (CM/ECT).
public protocol TimeConditionedNetwork: AnyObject {
    /// Every parameter, by stable dotted name, in one contiguous buffer.
    var store: ParameterStore { get }
    /// D: the number of features of one row (C·H·W for images).
    var dataDimension: Int { get }
    /// The number of classes K of a class-conditional network (labels 0…K−1, and K for the
    /// unconditional "null" class of classifier-free guidance); 0 for an unconditional network.
    var classCount: Int { get }
    /// The settings that rebuild this network (recorded in checkpoints).
    var architecture: TimeConditionedNetworkArchitecture { get }
    /// Whether ``backward(_:)`` returns dF/dx_in (off by default: training never differentiates the data).
    var computesInputGradient: Bool { get set }
    /// F for `input` [B, D], `noiseConditioning` (B values of c_noise) and `labels` (B class indices in
    /// 0…K, or nil for the null class K; must be nil for an unconditional network). Returns [B, D].
    func forward(_ input: Tensor, noiseConditioning: Tensor, labels: UnsafeBufferPointer<Int32>?,
                 context: ForwardContext) throws(TensorError) -> Tensor
    /// Accumulates dL/dθ for the leading b rows of the last forward given dL/dF [b, D]; returns dL/dx_in.
    func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor
}

extension TimeConditionedNetwork {
    /// Whether the network takes class labels (``classCount`` > 0).
    public var isClassConditional: Bool { classCount > 0 }

    /// F without labels (the null class of a class-conditional network).
    public func forward(_ input: Tensor, noiseConditioning: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        try forward(input, noiseConditioning: noiseConditioning, labels: nil, context: context)
    }

    /// Number of scalar parameters.
    public var parameterCount: Int { store.count }
}
