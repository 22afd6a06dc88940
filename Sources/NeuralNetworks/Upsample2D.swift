import Tensors

/// Nearest-neighbour upsampling by an integer factor f: `[B, C, H, W] → [B, C, f·H, f·W]`,
///
///     y[b, c, u, v] = x[b, c, ⌊u/f⌋, ⌊v/f⌋]
///
/// Backward (the adjoint) sums each f×f block: `dx[b, c, i, j] = Σ_{p,q < f} dy[b, c, f·i + p, f·j + q]`,
/// for the leading b ≤ B samples. No parameters.
public final class Upsample2D: Layer {
    public let factor: Int
    private var inputShape: [Int] = []
    private let output = try! Tensor(zeros: [0, 0, 0, 0])
    private let inputGradient = try! Tensor(zeros: [0, 0, 0, 0])

    /// Throws for a factor below 1.
    public init(factor: Int = 2) throws(TensorError) {
        guard factor >= 1 else {
            throw .invalidArgument(operation: "Upsample2D", message: "the upsampling factor must be ≥ 1, got \(factor)")
        }
        self.factor = factor
    }

    public func forward(_ input: Tensor, context: ForwardContext) throws(TensorError) -> Tensor {
        guard input.rank == 4 else {
            throw .invalidShape(operation: "Upsample2D.forward", shape: input.shape,
                                expectation: "the input must be [batch, channels, height, width]")
        }
        if inputShape != input.shape { inputShape = input.shape }
        let batch = input.shape[0], channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        let f = factor, outputWidth = width * f
        try output.resize(batch: batch, channels: channels, height: height * f, width: outputWidth)
        for plane in 0..<(batch * channels) {
            let source = input.data + plane * height * width
            let target = output.data + plane * height * width * f * f
            for row in 0..<height {
                let sourceLine = source + row * width
                let firstLine = target + row * f * outputWidth
                for column in 0..<width {
                    let value = sourceLine[column]
                    let block = firstLine + column * f
                    for offset in 0..<f { block[offset] = value }
                }
                for copy in 1..<f { (firstLine + copy * outputWidth).update(from: firstLine, count: outputWidth) }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws(TensorError) -> Tensor {
        let rows = try validateOutputGradient(outputGradient, forwardOutputShape: output.shape, layer: "Upsample2D")
        try inputGradient.resize(like: inputShape, rows: rows)
        let channels = inputShape[1], height = inputShape[2], width = inputShape[3]
        let f = factor, outputWidth = width * f
        for plane in 0..<(rows * channels) {
            let source = outputGradient.data + plane * height * width * f * f
            let target = inputGradient.data + plane * height * width
            for row in 0..<height {
                let targetLine = target + row * width
                targetLine.update(repeating: 0, count: width)
                for copy in 0..<f {
                    let sourceLine = source + (row * f + copy) * outputWidth
                    for column in 0..<width {
                        let block = sourceLine + column * f
                        var sum: Float = 0
                        for offset in 0..<f { sum += block[offset] }
                        targetLine[column] += sum
                    }
                }
            }
        }
        return inputGradient
    }
}
