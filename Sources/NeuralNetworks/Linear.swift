import Tensors

/// Fully connected layer with an optional fused bias + activation:
///
///     z = x · W + b,   y = act(z)        W: inputs × outputs,  b: outputs
///
/// Forward: one `sgemm` then one fused pass that adds the bias and applies the activation (keeping
/// σ(z) for SiLU, tanh u for GELU). Backward, for the leading b rows:
///
///     dz = dy ⊙ act′(z),   dW += xᵀ · dz,   db += Σ_rows dz,   dx = dz · Wᵀ
///
/// Parameters: `<scope>.weight` (LeCun normal by default, decayed) and `<scope>.bias` (zeros, not
/// decayed). Set ``computesInputGradient`` to false on a network's first layer to skip `dx`
/// (nobody differentiates with respect to the data); `backward` then returns an empty tensor.
public final class Linear: Layer {
    public let inputCount: Int
    public let outputCount: Int
    public let activation: Activation
    public let hasBias: Bool
    public let weight: ParameterHandle
    public let bias: ParameterHandle?
    public var computesInputGradient = true
    let store: ParameterStore

    private var input: Tensor?
    private var outputGradient: Tensor?
    /// Rows of the last forward that may be differentiated (its `gradientRows`, or all).
    private var differentiableRows = 0
    let output = try! Tensor(zeros: [0, 0])
    /// σ(z) for SiLU, tanh u for GELU, z for identity-free activations that need it.
    private let activationCache = try! Tensor(zeros: [0, 0])
    /// z for GELU (its backward needs the pre-activation).
    private let preActivation = try! Tensor(zeros: [0, 0])
    private let outputGradientScratch = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0])
    private let emptyGradient = try! Tensor(zeros: [0])

    /// Throws for a zero or negative size.
    public init(
        _ inputCount: Int, _ outputCount: Int, activation: Activation = .identity, bias: Bool = true,
        weightInitializer: ParameterInitializer? = nil, scope: ParameterScope
    ) throws(TensorError) {
        guard inputCount > 0, outputCount > 0 else {
            throw .invalidArgument(operation: "Linear(\(scope.prefix))",
                                   message: "input and output sizes must be > 0, got \(inputCount) → \(outputCount)")
        }
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.activation = activation
        self.hasBias = bias
        self.store = scope.store
        self.weight = try scope.register("weight", shape: [inputCount, outputCount],
                                         initializer: weightInitializer ?? .lecunNormal(fanIn: inputCount))
        self.bias = bias ? try scope.register("bias", shape: [outputCount], initializer: .zeros, decays: false) : nil
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        try prepareForward(input, context: context)
        try forwardRows(0..<input.rows)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try prepareBackward(outputGradient)
        let biasFused = backwardActivation(rows: 0..<rows, accumulateBias: true)
        try backwardParameters(columns: 0..<outputCount, includeBias: !biasFused)
        guard computesInputGradient else { return emptyGradient }
        try backwardInput(rows: 0..<rows)
        return inputGradient
    }

    // MARK: Staged forward and backward
    //
    // forward = prepareForward + forwardRows(all rows); backward = prepareBackward +
    // backwardActivation(all rows) + backwardParameters(all columns) + backwardInput(all rows). Each
    // stage after its `prepare` touches only its own rows or columns, so two lanes of a
    // ``ParallelLanes`` can split the work: rows of the forward need no synchronisation at all, and the
    // backward needs one barrier between the activation stage (rows) and the parameter stage (columns).

    /// Validates the input, sizes the buffers for `input.rows` rows and remembers the input.
    func prepareForward(_ input: Tensor, context: ForwardContext) throws(TensorError) {
        guard input.rank == 2, input.shape[1] == inputCount else {
            throw .shapeMismatch(operation: "Linear.forward", lhs: input.shape, rhs: [inputCount, outputCount],
                                 expectation: "the input must be [batch, \(inputCount)] for a \(inputCount) → \(outputCount) layer")
        }
        self.input = input
        let rows = input.rows
        differentiableRows = min(context.gradientRows ?? rows, rows)
        try output.resize(rows: rows, columns: outputCount)
        if activation != .identity { try activationCache.resize(rows: rows, columns: outputCount) }
        if activation == .gelu { try preActivation.resize(rows: rows, columns: outputCount) }
    }

    /// `y[rows] = act(x[rows]·W + b)` for a range of rows of the prepared forward.
    func forwardRows(_ rows: Range<Int>) throws(TensorError) {
        guard let input, !rows.isEmpty else { return }
        let first = rows.lowerBound, count = rows.count
        let inputRows = MatrixView(base: input.data + first * inputCount, rows: count, columns: inputCount)
        let outputRows = output.data + first * outputCount
        try gemm(inputRows, MatrixView(base: store.values + weight.offset, rows: inputCount, columns: outputCount),
                 into: MatrixView(base: outputRows, rows: count, columns: outputCount))
        let biasPointer = bias.map { UnsafePointer(store.values + $0.offset) }
        switch activation {
        case .identity:
            if let biasPointer { Kernels.addRowVector(biasPointer, to: outputRows, rows: count, columns: outputCount) }
        case .silu:
            Kernels.biasSiLU(outputRows, bias: biasPointer, rows: count, columns: outputCount, output: outputRows,
                             gate: activationCache.data + first * outputCount, gateRows: max(differentiableRows - first, 0))
        case .gelu:
            if let biasPointer { Kernels.addRowVector(biasPointer, to: outputRows, rows: count, columns: outputCount) }
            let elements = count * outputCount
            (preActivation.data + first * outputCount).update(from: outputRows, count: elements)
            Kernels.gelu(preActivation.data + first * outputCount, output: outputRows,
                         tanhCache: activationCache.data + first * outputCount, count: elements)
        }
    }

    /// Validates dL/dy (its leading b rows) and sizes the gradient buffers; returns b.
    func prepareBackward(_ outputGradient: Tensor) throws(TensorError) -> Int {
        guard input != nil else {
            throw .invalidArgument(operation: "Linear.backward", message: "backward was called before forward")
        }
        guard outputGradient.rank == 2, outputGradient.shape[1] == outputCount, outputGradient.rows <= differentiableRows else {
            throw .shapeMismatch(operation: "Linear.backward", lhs: outputGradient.shape, rhs: output.shape,
                                 expectation: "the output gradient must be [b, \(outputCount)] with b ≤ the \(differentiableRows) differentiable rows of the forward batch")
        }
        self.outputGradient = outputGradient
        let rows = outputGradient.rows
        if activation != .identity { try outputGradientScratch.resize(rows: rows, columns: outputCount) }
        if computesInputGradient { try inputGradient.resize(rows: rows, columns: inputCount) }
        return rows
    }

    /// `dz[rows] = dy[rows] ⊙ act′(z[rows])`. With `accumulateBias` (only when one lane does all rows)
    /// the bias gradient is fused into the pass for SiLU; returns whether it was.
    @discardableResult
    func backwardActivation(rows: Range<Int>, accumulateBias: Bool) -> Bool {
        guard let outputGradient, !rows.isEmpty else { return false }
        let offset = rows.lowerBound * outputCount
        switch activation {
        case .identity:
            return false
        case .silu:
            let biasGradient = accumulateBias ? bias.map { store.gradients + $0.offset } : nil
            Kernels.siluBackward(outputGradient: outputGradient.data + offset, gate: activationCache.data + offset,
                                 output: output.data + offset, inputGradient: outputGradientScratch.data + offset,
                                 rows: rows.count, columns: outputCount, biasGradient: biasGradient)
            return biasGradient != nil
        case .gelu:
            Kernels.geluBackward(outputGradient: outputGradient.data + offset, input: preActivation.data + offset,
                                 tanhCache: activationCache.data + offset, inputGradient: outputGradientScratch.data + offset,
                                 count: rows.count * outputCount)
            return false
        }
    }

    /// `dW[:, columns] += x[0..<b]ᵀ · dz[:, columns]` and (with `includeBias`) `db[columns] += Σ_rows dz`.
    func backwardParameters(columns: Range<Int>, includeBias: Bool) throws(TensorError) {
        guard let input, let dz = preActivationGradient, !columns.isEmpty else { return }
        let rows = dz.rows, first = columns.lowerBound
        try gemm(MatrixView(input, leadingRows: rows), transposeA: true,
                 MatrixView(base: dz.data + first, rows: rows, columns: columns.count, stride: outputCount),
                 into: MatrixView(base: store.gradients + weight.offset + first, rows: inputCount, columns: columns.count,
                                  stride: outputCount),
                 beta: 1)
        if includeBias, let bias {
            let sums = store.gradients + bias.offset
            for row in 0..<rows {
                let line = dz.data + row * outputCount
                for column in columns { sums[column] += line[column] }
            }
        }
    }

    /// `dx[rows] = dz[rows] · Wᵀ`.
    func backwardInput(rows: Range<Int>) throws(TensorError) {
        guard let dz = preActivationGradient, !rows.isEmpty else { return }
        let first = rows.lowerBound
        try gemm(MatrixView(base: dz.data + first * outputCount, rows: rows.count, columns: outputCount),
                 MatrixView(base: store.values + weight.offset, rows: inputCount, columns: outputCount), transposeB: true,
                 into: MatrixView(base: inputGradient.data + first * inputCount, rows: rows.count, columns: inputCount))
    }

    /// dL/dz of the last backward: the output gradient itself for the identity activation.
    private var preActivationGradient: Tensor? {
        activation == .identity ? outputGradient : outputGradientScratch
    }

    /// The input gradient buffer of the last backward (filled by ``backwardInput(rows:)``).
    var lastInputGradient: Tensor { computesInputGradient ? inputGradient : emptyGradient }
}
