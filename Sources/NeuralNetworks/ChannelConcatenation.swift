import Tensors

/// Concatenation along the channel axis, the skip connection of a U-Net (Ronneberger et al. 2015):
/// `[B, C₁, H, W] ⊕ [B, C₂, H, W] → [B, C₁ + C₂, H, W]`, sample by sample
///
///     y[b] = (a[b], s[b])            backward: (da[b], ds[b]) = split(dy[b])
///
/// for the leading b rows of the gradient. No parameters; owns its output and gradient buffers.
final class ChannelConcatenation {
    private var firstChannels = 0
    private var secondChannels = 0
    private var positions = 0
    private let output = try! Tensor(zeros: [0, 0, 0, 0])
    private let firstGradient = try! Tensor(zeros: [0, 0, 0, 0])
    private let secondGradient = try! Tensor(zeros: [0, 0, 0, 0])

    func forward(_ first: Tensor, _ second: Tensor) throws(TensorError) -> Tensor {
        guard first.rank == 4, second.rank == 4, first.shape[0] == second.shape[0],
              first.shape[2] == second.shape[2], first.shape[3] == second.shape[3]
        else {
            throw .shapeMismatch(operation: "TimeConditionedUNet (skip concatenation)", lhs: first.shape, rhs: second.shape,
                                 expectation: "both feature maps must be [batch, channels, H, W] with the same batch, H and W")
        }
        let batch = first.shape[0], height = first.shape[2], width = first.shape[3]
        firstChannels = first.shape[1]
        secondChannels = second.shape[1]
        positions = height * width
        try output.resize(batch: batch, channels: firstChannels + secondChannels, height: height, width: width)
        let a = firstChannels * positions, s = secondChannels * positions
        for sample in 0..<batch {
            let target = output.data + sample * (a + s)
            target.update(from: first.data + sample * a, count: a)
            (target + a).update(from: second.data + sample * s, count: s)
        }
        return output
    }

    /// Splits dL/dy (its leading b samples) into the gradients of the two inputs.
    func backward(_ outputGradient: Tensor) throws(TensorError) -> (first: Tensor, second: Tensor) {
        let rows = outputGradient.rows
        guard outputGradient.rank == 4, outputGradient.shape[1] == firstChannels + secondChannels, rows <= output.rows else {
            throw .shapeMismatch(operation: "TimeConditionedUNet (skip concatenation).backward", lhs: outputGradient.shape, rhs: output.shape,
                                 expectation: "the gradient must have the concatenation's shape, with at most as many rows")
        }
        let height = output.shape[2], width = output.shape[3]
        try firstGradient.resize(batch: rows, channels: firstChannels, height: height, width: width)
        try secondGradient.resize(batch: rows, channels: secondChannels, height: height, width: width)
        let a = firstChannels * positions, s = secondChannels * positions
        for sample in 0..<rows {
            let source = outputGradient.data + sample * (a + s)
            (firstGradient.data + sample * a).update(from: source, count: a)
            (secondGradient.data + sample * s).update(from: source + a, count: s)
        }
        return (firstGradient, secondGradient)
    }
}
