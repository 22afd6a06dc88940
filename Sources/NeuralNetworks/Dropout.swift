import Tensors

/// Inverted dropout: in training, each element is kept with probability 1 − p and scaled by 1/(1 − p);
/// in evaluation it is the identity.
///
///     y = x ⊙ m / (1 − p),   mᵢ ~ Bernoulli(1 − p),   dx = dy ⊙ m / (1 − p)
///
/// The mask comes from the context's dropout stream (keyed by the training step) combined with this
/// layer's name, element by element from the counter-based generator: two forward passes with the
/// same context draw the same mask, which is how the online and target passes of CM/ECT share it.
/// With `context.maskPeriod = P`, row r uses the mask of row r mod P. Training without a dropout
/// stream is an error (a mask must be reproducible).
public final class Dropout: Layer {
    public let probability: Float
    public let name: String
    private let purposeHash: UInt64
    private var active = false
    private let mask = try! Tensor(zeros: [0])
    private let output = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])
    private var words: UnsafeMutablePointer<UInt32>
    private var wordCapacity = 0

    /// `probability` must be in [0, 1); `name` keys the mask stream (use the layer's parameter path).
    public init(probability: Float, name: String) throws(TensorError) {
        guard probability >= 0, probability < 1 else {
            throw .invalidArgument(operation: "Dropout(\(name))", message: "the drop probability must be in [0, 1), got \(probability)")
        }
        self.probability = probability
        self.name = name
        self.purposeHash = RandomStream.purposeHash("dropout/" + name)
        self.words = .allocate(capacity: 1)
    }

    deinit { words.deallocate() }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        try output.resize(to: input.shape)
        active = context.isTraining && probability > 0
        guard active else {
            output.data.update(from: input.data, count: input.count)
            return output
        }
        guard let base = context.dropoutStream else {
            throw .invalidArgument(operation: "Dropout(\(name)).forward",
                                   message: "training mode needs a dropout stream in the ForwardContext (use ForwardContext.training(seed:step:))")
        }
        try mask.resize(to: input.shape)
        let rows = input.rows, perRow = input.elementsPerRow
        let period = min(max(context.maskPeriod ?? rows, 1), rows)
        let drawn = period * perRow
        if drawn > wordCapacity {
            words.deallocate()
            words = .allocate(capacity: drawn)
            wordCapacity = drawn
        }
        var stream = base.derived(purposeHash: purposeHash)
        stream.fillWords(words, count: drawn)
        let keep = 1 / (1 - probability)
        let threshold = UInt32(min(Double(probability) * 4_294_967_296.0, 4_294_967_295.0))
        for i in 0..<drawn { mask.data[i] = words[i] >= threshold ? keep : 0 }
        var row = period
        while row < rows {
            let copied = min(period, rows - row) * perRow
            (mask.data + row * perRow).update(from: mask.data, count: copied)
            row += period
        }
        Kernels.multiply(input.data, mask.data, into: output.data, count: input.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "Dropout")
        try inputGradient.resize(like: output.shape, rows: rows)
        if active {
            Kernels.multiply(outputGradient.data, mask.data, into: inputGradient.data, count: outputGradient.count)
        } else {
            inputGradient.data.update(from: outputGradient.data, count: outputGradient.count)
        }
        return inputGradient
    }

    /// The mask of the last training forward (0 or 1/(1−p) per element), for tests and diagnostics.
    public var lastMask: [Float] { active ? mask.scalars : [] }
}
