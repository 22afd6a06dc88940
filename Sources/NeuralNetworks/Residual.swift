import Tensors

/// A residual connection around a chain of layers (He et al. 2016):
///
///     y = x + body(x),   body = L_n ∘ … ∘ L_1
///
/// Backward: `dx = dy + J_bodyᵀ dy`, the body's layers differentiated in reverse order, for the
/// leading b ≤ B samples. The body must preserve the input's shape. An empty body gives y = 2x.
public final class Residual: Layer {
    /// The body's layers, applied first to last.
    public let body: [any Layer]

    private var inputShape: [Int] = []
    private let output = try! Tensor(zeros: [0])
    private let inputGradient = try! Tensor(zeros: [0])

    public init(_ body: [any Layer]) {
        self.body = body
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        var hidden = input
        for layer in body { hidden = try layer.forward(hidden, context: context) }
        guard hidden.shape == input.shape else {
            throw .shapeMismatch(operation: "Residual.forward", lhs: hidden.shape, rhs: input.shape,
                                 expectation: "the residual body's output must have its input's shape")
        }
        if inputShape != input.shape { inputShape = input.shape }
        try output.resize(to: input.shape)
        Kernels.add(input.data, hidden.data, into: output.data, count: input.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "Residual")
        var gradient = outputGradient
        for layer in body.reversed() { gradient = try layer.backward(gradient) }
        guard gradient.count == outputGradient.count else {
            throw .shapeMismatch(operation: "Residual.backward", lhs: gradient.shape, rhs: outputGradient.shape,
                                 expectation: "every body layer must compute its input gradient")
        }
        try inputGradient.resize(like: inputShape, rows: rows)
        Kernels.add(outputGradient.data, gradient.data, into: inputGradient.data, count: outputGradient.count)
        return inputGradient
    }
}
