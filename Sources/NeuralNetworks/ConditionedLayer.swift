import Tensors

/// A differentiable layer with a feature input and a conditioning input (a time embedding, a class
/// embedding): `y = f(x, e)`. The two-input sibling of ``Layer``, with the same buffer contract.
///
/// `forward` keeps what `backward` needs, so neither input may be modified between the two calls;
/// the returned tensors are buffers the layer overwrites on its next call. `backward` accumulates
/// parameter gradients into the store and returns `(dL/dx, dL/de)`. As for ``Layer``, the
/// `outputGradient` may cover only the leading `b ≤ B` samples of the last forward; both returned
/// gradients then have `b` rows. A network that feeds one embedding to several conditioned layers sums
/// their condition gradients.
public protocol ConditionedLayer: AnyObject {
    func forward(_ input: Tensor, condition: Tensor, context: ForwardContext) throws(TensorError) -> Tensor
    func backward(_ outputGradient: Tensor) throws(TensorError) -> (input: Tensor, condition: Tensor)
}

extension ConditionedLayer {
    /// Forward in evaluation mode.
    public func callAsFunction(_ input: Tensor, condition: Tensor) throws(TensorError) -> Tensor {
        try forward(input, condition: condition, context: .evaluation)
    }
}
