import Tensors

/// SiLU / swish (Elfwing, Uchibe & Doya 2018): `y = z · σ(z)`, `dy/dz = σ(z)(1 + z(1 − σ(z)))`.
///
/// Prefer `Linear(…, activation: .silu)`, which fuses the bias and the activation into one pass; this
/// standalone layer serves convolutional stacks (GroupNorm → SiLU → Conv).
public final class SiLU: Layer {
    private let output = try! Tensor(zeros: [0])
    private let gate = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        try output.resize(to: input.shape)
        try gate.resize(to: input.shape)
        Kernels.biasSiLU(input.data, bias: nil, rows: 1, columns: input.count, output: output.data, gate: gate.data)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "SiLU")
        try inputGradient.resize(like: output.shape, rows: rows)
        Kernels.siluBackward(outputGradient: outputGradient.data, gate: gate.data, output: output.data,
                             inputGradient: inputGradient.data, rows: 1, columns: outputGradient.count, biasGradient: nil)
        return inputGradient
    }
}
