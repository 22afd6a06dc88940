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
    /// Rows of the last forward that may be differentiated (its `gradientRows`, or all).
    private var differentiableRows = 0
    private let output = try! Tensor(zeros: [0, 0])
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
        guard input.rank == 2, input.shape[1] == inputCount else {
            throw .shapeMismatch(operation: "Linear.forward", lhs: input.shape, rhs: [inputCount, outputCount],
                                 expectation: "the input must be [batch, \(inputCount)] for a \(inputCount) → \(outputCount) layer")
        }
        self.input = input
        let rows = input.rows
        differentiableRows = min(context.gradientRows ?? rows, rows)
        try output.resize(rows: rows, columns: outputCount)
        try gemm(MatrixView(input), MatrixView(base: store.values + weight.offset, rows: inputCount, columns: outputCount),
                 into: MatrixView(output))
        let biasPointer = bias.map { UnsafePointer(store.values + $0.offset) }
        let count = rows * outputCount
        switch activation {
        case .identity:
            if let biasPointer { Kernels.addRowVector(biasPointer, to: output.data, rows: rows, columns: outputCount) }
        case .silu:
            try activationCache.resize(rows: rows, columns: outputCount)
            Kernels.biasSiLU(output.data, bias: biasPointer, rows: rows, columns: outputCount,
                             output: output.data, gate: activationCache.data, gateRows: differentiableRows)
        case .gelu:
            try activationCache.resize(rows: rows, columns: outputCount)
            try preActivation.resize(rows: rows, columns: outputCount)
            if let biasPointer { Kernels.addRowVector(biasPointer, to: output.data, rows: rows, columns: outputCount) }
            preActivation.data.update(from: output.data, count: count)
            Kernels.gelu(preActivation.data, output: output.data, tanhCache: activationCache.data, count: count)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        guard let input else {
            throw .invalidArgument(operation: "Linear.backward", message: "backward was called before forward")
        }
        guard outputGradient.rank == 2, outputGradient.shape[1] == outputCount, outputGradient.rows <= differentiableRows else {
            throw .shapeMismatch(operation: "Linear.backward", lhs: outputGradient.shape, rhs: output.shape,
                                 expectation: "the output gradient must be [b, \(outputCount)] with b ≤ the \(differentiableRows) differentiable rows of the forward batch")
        }
        let rows = outputGradient.rows
        let count = rows * outputCount
        // dz = dy ⊙ act′(z), and db += Σ_rows dz (fused into the SiLU pass).
        let preActivationGradient: Tensor
        var biasGradientDone = false
        switch activation {
        case .identity:
            preActivationGradient = outputGradient
        case .silu:
            try outputGradientScratch.resize(rows: rows, columns: outputCount)
            Kernels.siluBackward(outputGradient: outputGradient.data, gate: activationCache.data, output: output.data,
                                 inputGradient: outputGradientScratch.data, rows: rows, columns: outputCount,
                                 biasGradient: bias.map { store.gradients + $0.offset })
            biasGradientDone = true
            preActivationGradient = outputGradientScratch
        case .gelu:
            try outputGradientScratch.resize(rows: rows, columns: outputCount)
            Kernels.geluBackward(outputGradient: outputGradient.data, input: preActivation.data, tanhCache: activationCache.data,
                                 inputGradient: outputGradientScratch.data, count: count)
            preActivationGradient = outputGradientScratch
        }
        // dW += xᵀ · dz over the leading rows.
        try gemm(MatrixView(input, leadingRows: rows), transposeA: true, MatrixView(preActivationGradient),
                 into: MatrixView(base: store.gradients + weight.offset, rows: inputCount, columns: outputCount), beta: 1)
        if let bias, !biasGradientDone {
            Kernels.accumulateColumnSums(preActivationGradient.data, rows: rows, columns: outputCount,
                                         into: store.gradients + bias.offset)
        }
        guard computesInputGradient else { return emptyGradient }
        try inputGradient.resize(rows: rows, columns: inputCount)
        try gemm(MatrixView(preActivationGradient),
                 MatrixView(base: store.values + weight.offset, rows: inputCount, columns: outputCount), transposeB: true,
                 into: MatrixView(inputGradient))
        return inputGradient
    }
}
