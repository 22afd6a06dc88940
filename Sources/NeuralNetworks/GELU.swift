import Tensors

/// GELU, tanh approximation (Hendrycks & Gimpel 2016):
///
///     GELU(z) = ½ z (1 + tanh u),   u = √(2/π)(z + 0.044715 z³)
///
/// (PyTorch's `approximate="tanh"`; it differs from the erf form by less than 1e−3.)
public final class GELU: Layer {
    private var input: Tensor?
    private let output = try! Tensor(zeros: [0])
    private let tanhCache = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        self.input = input
        try output.resize(to: input.shape)
        try tanhCache.resize(to: input.shape)
        Kernels.gelu(input.data, output: output.data, tanhCache: tanhCache.data, count: input.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "GELU")
        guard let input else { throw .invalidArgument(operation: "GELU.backward", message: "backward was called before forward") }
        try inputGradient.resize(like: output.shape, rows: rows)
        Kernels.geluBackward(outputGradient: outputGradient.data, input: input.data, tanhCache: tanhCache.data,
                             inputGradient: inputGradient.data, count: outputGradient.count)
        return inputGradient
    }
}
