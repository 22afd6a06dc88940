import Tensors

/// What a forward pass needs to know besides its input.
public struct ForwardContext: Sendable {
    /// Training mode enables dropout; evaluation mode makes it the identity.
    public var isTraining: Bool
    /// The stream dropout masks come from, keyed by the training step (DESIGN.md §4). Two passes with
    /// the same stream draw the same masks: the CM/ECT convention of sharing the mask between the
    /// online and the target pass.
    public var dropoutStream: RandomStream?
    /// When set, row r of a batch uses the mask of row `r mod maskPeriod`. A forward over 2B rows that
    /// stacks the online batch on the target batch sets this to B so both halves share masks.
    public var maskPeriod: Int?
    /// When set, only the leading `gradientRows` rows of this forward will be differentiated (the
    /// online half of a stacked online + target batch); layers may skip keeping what backward needs
    /// for the other rows, and a backward over more rows is an error.
    public var gradientRows: Int?

    public init(isTraining: Bool = false, dropoutStream: RandomStream? = nil, maskPeriod: Int? = nil, gradientRows: Int? = nil) {
        self.isTraining = isTraining
        self.dropoutStream = dropoutStream
        self.maskPeriod = maskPeriod
        self.gradientRows = gradientRows
    }

    /// Evaluation mode: no dropout.
    public static let evaluation = ForwardContext()

    /// Training mode with dropout masks from `(seed, "dropout", step)`.
    public static func training(seed: UInt64, step: UInt64, maskPeriod: Int? = nil) -> ForwardContext {
        ForwardContext(isTraining: true, dropoutStream: RandomStream(seed: seed, purpose: "dropout", index: step), maskPeriod: maskPeriod)
    }
}

/// A differentiable layer with one input and one output (Gymnasium-style "one small protocol").
///
/// `forward` keeps what `backward` needs (usually a reference to its input and its own output
/// buffer), so the input tensor must not be modified between the two calls. Layers own their output
/// and gradient buffers and overwrite them on the next call: copy a result you want to keep.
///
/// `backward` *accumulates* parameter gradients into the store and returns the gradient with respect
/// to the input. Its `outputGradient` may cover only the leading `b ≤ B` rows (samples) of the last
/// forward's batch: the rest are treated as having zero gradient and the returned input gradient has
/// `b` rows. This is how one forward over a stacked online + target batch is differentiated through
/// its online half only (TD targets are stop-gradient).
public protocol Layer: AnyObject {
    func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor
    func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor
}

extension Layer {
    /// Forward in evaluation mode.
    public func callAsFunction(_ input: Tensor) throws(TensorError) -> Tensor {
        try forward(input, context: .evaluation)
    }
}

/// Checks that a backward's output gradient matches the leading rows of the last forward's output.
@inlinable
func validateOutputGradient(_ gradient: Tensor, forwardOutputShape: [Int], layer: String) throws(TensorError) -> Int {
    guard !forwardOutputShape.isEmpty, forwardOutputShape[0] > 0 || gradient.rows == 0 else {
        throw .invalidArgument(operation: "\(layer).backward",
                               message: "backward was called before forward (or after a forward over an empty batch)")
    }
    guard gradient.rank == forwardOutputShape.count,
          gradient.shape.dropFirst() == forwardOutputShape.dropFirst(),
          gradient.rows <= forwardOutputShape[0]
    else {
        throw .shapeMismatch(operation: "\(layer).backward", lhs: gradient.shape, rhs: forwardOutputShape,
                             expectation: "the output gradient must have the forward output's shape, with at most as many rows")
    }
    return gradient.rows
}
