import Tensors

/// Global average pooling over the spatial positions of a feature map, `[B, C, spatial…] → [B, C]`
/// (Lin, Chen & Yan 2014, "Network in network"; the pooling head of ResNets):
///
///     y[b, c] = (1/P) Σ_p x[b, c, p]                P = H·W (the product of the spatial extents)
///
/// Backward, for the leading b ≤ B samples: `dx[b, c, p] = dy[b, c] / P`. No parameters. The sum is
/// accumulated in Double.
public final class GlobalAveragePool: Layer {
    private var layout = FeatureMapLayout?.none
    private var inputShape: [Int] = []
    private let output = try! Tensor(zeros: [0, 0])
    private let inputGradient = try! Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard input.rank >= 3, let shape = FeatureMapLayout(input), shape.positions > 0 else {
            throw .invalidShape(operation: "GlobalAveragePool.forward", shape: input.shape,
                                expectation: "the input must be a feature map [batch, channels, height, width] (rank ≥ 3, non-empty)")
        }
        layout = shape
        inputShape = input.shape
        try output.resize(rows: shape.batch, columns: shape.channels)
        let scale = 1 / Double(shape.positions)
        for block in 0..<(shape.batch * shape.channels) {
            output.data[block] = Float(Kernels.sum(input.data + block * shape.positions, count: shape.positions) * scale)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        guard let shape = layout else {
            throw .invalidArgument(operation: "GlobalAveragePool.backward", message: "backward was called before forward")
        }
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "GlobalAveragePool")
        try inputGradient.resize(like: inputShape, rows: rows)
        let scale = 1 / Float(shape.positions)
        for block in 0..<(rows * shape.channels) {
            (inputGradient.data + block * shape.positions).update(repeating: outputGradient.data[block] * scale,
                                                                   count: shape.positions)
        }
        return inputGradient
    }
}
