import Tensors

/// Feature-wise linear modulation, FiLM (Perez et al. 2018), as the time conditioning of diffusion
/// U-Nets (Dhariwal & Nichol 2021's "scale-shift norm", EDM's `adaptive_scale`): features h
/// `[B, C]` or `[B, C, spatial…]` are modulated per sample and channel by a projection of the
/// conditioning vector e `[B, E]`:
///
///     (s, t) = split(e · W + b)           W: E × 2C  (the first C columns are the scale s, the rest the shift t)
///     y[b, c, p] = h[b, c, p] · (1 + s[b, c]) + t[b, c]
///
/// Backward, for the leading b ≤ B samples:
///
///     dh = dy ⊙ (1 + s),   ds[b, c] = Σ_p dy·h,   dt[b, c] = Σ_p dy,   then the projection's backward gives de
///
/// Parameters: the projection's `<scope>.projection.weight` `[E, 2C]` and `<scope>.projection.bias`
/// `[2C]`. With a zero projection the layer is the identity in h.
public final class ScaleShift: ConditionedLayer {
    public let channels: Int
    public let conditionFeatures: Int
    /// The E → 2C projection (scale columns first, then shift columns).
    public let projection: Linear

    private var input: Tensor?
    /// (s, t) from the last forward: the projection's output buffer.
    private var modulation: Tensor?
    private var layout = FeatureMapLayout?.none
    private let output = try! Tensor(zeros: [0])
    private let modulationGradient = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0])

    /// Throws for `channels < 1` or `conditionFeatures < 1`. `projectionInitializer` defaults to
    /// Linear's LeCun normal; pass `.zeros` to start as the identity.
    public init(
        channels: Int, conditionFeatures: Int, projectionInitializer: ParameterInitializer? = nil, scope: ParameterScope
    ) throws(TensorError) {
        guard channels > 0, conditionFeatures > 0 else {
            throw .invalidArgument(operation: "ScaleShift(\(scope.prefix))",
                                   message: "channels and condition features must be > 0, got \(channels) channels and \(conditionFeatures) condition features")
        }
        self.channels = channels
        self.conditionFeatures = conditionFeatures
        self.projection = try Linear(conditionFeatures, 2 * channels, weightInitializer: projectionInitializer,
                                     scope: scope.child("projection"))
    }

    public func forward(_ input: Tensor, condition: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard let shape = FeatureMapLayout(input), shape.channels == channels else {
            var expected = input.shape
            if expected.count >= 2 { expected[1] = channels } else { expected = [input.rows, channels] }
            throw .shapeMismatch(operation: "ScaleShift.forward", lhs: input.shape, rhs: expected,
                                 expectation: "the features must be [batch, \(channels), spatial…]")
        }
        guard condition.rank == 2, condition.shape[0] == shape.batch, condition.shape[1] == conditionFeatures else {
            throw .shapeMismatch(operation: "ScaleShift.forward", lhs: condition.shape, rhs: [shape.batch, conditionFeatures],
                                 expectation: "the condition must be [batch, \(conditionFeatures)] with the features' batch \(shape.batch)")
        }
        let modulation = try projection.forward(condition, context: context)
        self.input = input
        self.modulation = modulation
        layout = shape
        try output.resize(to: input.shape)
        let positions = shape.positions
        for sample in 0..<shape.batch {
            let row = modulation.data + sample * 2 * channels
            for channel in 0..<channels {
                let offset = (sample * channels + channel) * positions
                Kernels.scaleAndShift(input.data + offset, scale: 1 + row[channel], shift: row[channels + channel],
                                      into: output.data + offset, count: positions)
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> (input: Tensor, condition: Tensor) {
        guard let input, let modulation, let shape = layout else {
            throw .invalidArgument(operation: "ScaleShift.backward", message: "backward was called before forward")
        }
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "ScaleShift")
        try inputGradient.resize(like: output.shape, rows: rows)
        try modulationGradient.resize(rows: rows, columns: 2 * channels)
        let positions = shape.positions
        for sample in 0..<rows {
            let row = modulation.data + sample * 2 * channels
            let gradientRow = modulationGradient.data + sample * 2 * channels
            for channel in 0..<channels {
                let offset = (sample * channels + channel) * positions
                let (sum, dot) = Kernels.sumAndDot(outputGradient.data + offset, input.data + offset, count: positions)
                gradientRow[channel] = Float(dot)
                gradientRow[channels + channel] = Float(sum)
                Kernels.scaleAndShift(outputGradient.data + offset, scale: 1 + row[channel], shift: 0,
                                      into: inputGradient.data + offset, count: positions)
            }
        }
        let conditionGradient = try projection.backward(modulationGradient)
        return (inputGradient, conditionGradient)
    }
}
